/**
 * The Kubernetes manifests in this directory: valid against the Kubernetes API schemas
 * (kubernetes-models, generated from the OpenAPI specification), buildable by `kubectl kustomize`
 * where kubectl is installed, consistent with each other, and the ConfigMap's file a valid Sluice
 * configuration together with the Deployment's arguments and environment, loaded through Sluice's
 * own config loader.
 *
 * `kubectl apply --dry-run=client` is not run: it needs an API server to discover the kinds (it
 * fails offline, and by default it would dial localhost:8080, where a Sluice demo may listen).
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { type Config, loadConfig } from "../../internal/config/mod.ts";

const DIR = new URL("./", import.meta.url);

type Manifest =
  & { apiVersion: string; kind: string; metadata: { name: string } }
  & Record<
    string,
    unknown
  >;

/** Kind -> the kubernetes-models class whose `validate()` checks it against the API schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

async function readManifests(): Promise<Manifest[]> {
  const kustomization = parseAllDocuments(
    await Deno.readTextFile(new URL("kustomization.yaml", DIR)),
  )[0]!.toJS() as { resources: string[] };
  const manifests: Manifest[] = [];
  for (const file of kustomization.resources) {
    for (const document of parseAllDocuments(await Deno.readTextFile(new URL(file, DIR)))) {
      assert.deepEqual(document.errors, [], `${file} is not valid YAML`);
      manifests.push(document.toJS() as Manifest);
    }
  }
  return manifests;
}

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  assert.ok(Model, `no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest as never).validate();
}

function find<T>(manifests: Manifest[], kind: string): T {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0] as T;
}

Deno.test("the manifests are valid against the Kubernetes API schemas", async () => {
  const manifests = await readManifests();
  assert.deepEqual(manifests.map((manifest) => manifest.kind).sort(), [
    "ConfigMap",
    "Deployment",
    "PodDisruptionBudget",
    "Service",
  ]);
  for (const manifest of manifests) validate(manifest);

  // The validation can fail: a count given as a string, a required field missing.
  const broken = structuredClone(find<Manifest & { spec: { replicas: unknown } }>(
    manifests,
    "Deployment",
  ));
  broken.spec.replicas = "2";
  assert.throws(() => validate(broken), /replicas must be integer/);
  const nameless = structuredClone(find<Manifest & { spec: { ports: { port?: number }[] } }>(
    manifests,
    "Service",
  ));
  delete nameless.spec.ports[0]!.port;
  assert.throws(() => validate(nameless), /spec\/ports\/0 must have required property port/);
  // Not caught: unknown fields (`selectr:`). The API's OpenAPI schemas allow them; the API server
  // rejects them (field validation), kubectl's offline checks do not.
});

Deno.test({
  name: "kubectl kustomize builds the same objects offline",
  ignore: !hasKubectl(),
  async fn() {
    const output = await new Deno.Command("kubectl", {
      args: ["kustomize", new URL(".", DIR).pathname],
      env: { KUBECONFIG: "/dev/null" }, // never a cluster
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.ok(output.success, stderr);
    const built = parseAllDocuments(new TextDecoder().decode(output.stdout)).map((document) =>
      document.toJS() as Manifest
    );
    const ids = (list: Manifest[]) => list.map((m) => `${m.kind}/${m.metadata.name}`).sort();
    assert.deepEqual(ids(built), ids(await readManifests()));
    for (const manifest of built) validate(manifest);
  },
});

function hasKubectl(): boolean {
  try {
    return new Deno.Command("kubectl", {
      args: ["version", "--client"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

interface Container {
  args: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  lifecycle: { preStop: { exec: { command: string[] } } };
  volumeMounts: { name: string; mountPath: string }[];
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
  resources: { requests: { memory: string }; limits: { memory: string } };
}
interface DeploymentShape {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsNonRoot: boolean; runAsUser: number };
        containers: Container[];
        volumes: { name: string; configMap: { name: string } }[];
      };
    };
  };
}

/** Loads the pod's configuration as main.ts would: its args, its env, the mounted ConfigMap. */
async function podConfig(manifests: Manifest[]): Promise<Config> {
  const deployment = find<DeploymentShape>(manifests, "Deployment");
  const configMap = find<Manifest & { data: Record<string, string> }>(manifests, "ConfigMap");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const mount = container.volumeMounts.find((m) => m.name === "config")!;
  const volume = pod.volumes.find((v) => v.name === "config")!;
  assert.equal(volume.configMap.name, configMap.metadata.name);
  const env: Record<string, string> = {};
  for (const variable of container.env) {
    // The Secret's token: any valid one stands in for it.
    env[variable.name] = variable.value ?? "a-token-from-the-secret-0123456789";
  }
  const result = await loadConfig(container.args, {
    env: (name) => env[name],
    queryPermission: () => "granted",
    readTextFile: (path) => {
      const key = path.startsWith(`${mount.mountPath}/`)
        ? path.slice(mount.mountPath.length + 1)
        : undefined;
      const text = key === undefined ? undefined : configMap.data[key];
      return text === undefined
        ? Promise.reject(new Deno.errors.NotFound(`${path} is not in the ConfigMap`))
        : Promise.resolve(text);
    },
  });
  assert.equal(result.kind, "config");
  return (result as { config: Config }).config;
}

Deno.test("the ConfigMap is a valid Sluice config, consistent with the Deployment", async () => {
  const manifests = await readManifests();
  const config = await podConfig(manifests);
  const deployment = find<DeploymentShape>(manifests, "Deployment");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const port = (name: string) => container.ports.find((p) => p.name === name)!.containerPort;

  assert.equal(config.strategy, "consistent_hash");
  assert.equal(config.port, port("http"));
  assert.equal(config.admin.port, port("admin"));
  assert.equal(config.admin.host, "0.0.0.0"); // the kubelet probes the pod IP
  assert.equal(container.readinessProbe.httpGet.path, "/readyz");
  assert.equal(container.readinessProbe.httpGet.port, "admin");
  assert.equal(container.livenessProbe.httpGet.path, "/healthz");
  assert.equal(container.livenessProbe.httpGet.port, "admin");

  // The grace period covers the preStop pause and Sluice's drain, with time to spare.
  const [command, seconds] = container.lifecycle.preStop.exec.command;
  assert.equal(command, "sleep");
  const preStopMs = Number(seconds) * 1000;
  const graceMs = pod.terminationGracePeriodSeconds * 1000;
  assert.ok(
    graceMs >= preStopMs + config.timeouts.shutdownMs + 2000,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} < preStop ${seconds} s + shutdown ${config.timeouts.shutdownMs} ms + 2 s`,
  );

  assert.equal(deployment.spec.replicas, 2);
  assert.ok(pod.securityContext.runAsNonRoot);
  assert.ok(container.securityContext.readOnlyRootFilesystem);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.ok(container.resources.requests.memory && container.resources.limits.memory);

  // Service, PodDisruptionBudget and the Deployment select the same pods.
  const labels = deployment.spec.template.metadata.labels;
  const selects = (selector: Record<string, string>) =>
    Object.entries(selector).every(([key, value]) => labels[key] === value);
  assert.ok(selects(deployment.spec.selector.matchLabels));
  const service = find<{ spec: { selector: Record<string, string> } }>(manifests, "Service");
  assert.ok(selects(service.spec.selector));
  const pdb = find<
    { spec: { selector: { matchLabels: Record<string, string> }; minAvailable: number } }
  >(
    manifests,
    "PodDisruptionBudget",
  );
  assert.ok(selects(pdb.spec.selector.matchLabels));
  assert.ok(pdb.spec.minAvailable < deployment.spec.replicas, "a drain may take one pod");
});

Deno.test("a broken ConfigMap config stops the pod's start-up with every problem listed", async () => {
  const manifests = await readManifests();
  const configMap = find<Manifest & { data: Record<string, string> }>(manifests, "ConfigMap");
  configMap.data["sluice.yaml"] = configMap.data["sluice.yaml"]!
    .replace("port: 8080", "port: 80800")
    .replace("strategy: consistent_hash", "strategy: consistent_hashing");
  await assert.rejects(podConfig(manifests), (error: Error) => {
    assert.match(error.message, /port/);
    assert.match(error.message, /strategy/);
    return true;
  });
});
