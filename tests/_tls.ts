/**
 * A throwaway certificate authority for TLS tests, made with `openssl` in a temporary directory:
 * a CA, a server certificate (for `localhost`, `upstream.test` and 127.0.0.1) and a client
 * certificate, all signed by the CA, plus a second, unrelated CA that trusts none of them.
 *
 * @module
 */

/** PEM files of a test PKI, paths and contents. */
export interface TestPki extends AsyncDisposable {
  /** The directory holding every file; removed on dispose. */
  dir: string;
  /** The CA certificate file (PEM). */
  caFile: string;
  /** A CA that signed nothing here (a client trusting only it refuses the server). */
  otherCaFile: string;
  /** Server certificate (SAN localhost, upstream.test, 127.0.0.1) and its key. */
  serverCertFile: string;
  serverKeyFile: string;
  /** Client certificate (CN sluice-client) and its key, for mutual TLS. */
  clientCertFile: string;
  clientKeyFile: string;
  /** Contents of the files above. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const output = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!output.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** Makes a key and a certificate signed by `ca` (self-signed when `ca` is undefined). */
async function issue(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  ca?: string,
): Promise<void> {
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions);
  await openssl(dir, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-subj",
    subject,
    "-out",
    `${name}.csr`,
  ]);
  const signing = ca === undefined
    ? ["-signkey", `${name}.key`]
    : ["-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial"];
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    ...signing,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
}

const CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";

/**
 * Creates a fresh PKI in a temporary directory.
 * @param options `serverDays`: validity of the server certificate, days. @default 2
 * @returns the files; dispose to remove them.
 * @throws {Error} when openssl fails.
 */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-pki-" });
  await issue(dir, "ca", "/CN=Sluice Test CA", CA_EXT);
  await issue(dir, "other-ca", "/CN=Unrelated Test CA", CA_EXT);
  await issue(
    dir,
    "server",
    "/CN=localhost",
    "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" +
      "subjectAltName=DNS:localhost,DNS:upstream.test,IP:127.0.0.1\n",
    "ca",
  );
  await issue(
    dir,
    "client",
    "/CN=sluice-client",
    "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    "ca",
  );
  const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
  return {
    dir,
    caFile: `${dir}/ca.crt`,
    otherCaFile: `${dir}/other-ca.crt`,
    serverCertFile: `${dir}/server.crt`,
    serverKeyFile: `${dir}/server.key`,
    clientCertFile: `${dir}/client.crt`,
    clientKeyFile: `${dir}/client.key`,
    ca: await read("ca.crt"),
    serverCert: await read("server.crt"),
    serverKey: await read("server.key"),
    clientCert: await read("client.crt"),
    clientKey: await read("client.key"),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
