/**
 * HTTP listeners.
 *
 * @module
 */
export { listen, type ListenOptions } from "./listener.ts";
