/**
 * Service discovery: upstreams found through DNS (A/AAAA and SRV records), refreshed at the
 * records' TTL.
 *
 * @module
 */
export {
  createDnsLookup,
  type DiscoveryLookup,
  DnsDiscovery,
  type DnsDiscoveryOptions,
  type Resolved,
} from "./dns_discovery.ts";
