/**
 * `npm run k8s:validate`: checks k8s/ with real Kubernetes code (versions: k8s/versions.env).
 *  1. Builds, or finds in the cache, kube-apiserver, kubectl, etcd and the KubeRay operator
 *     (scripts/k8s-tools.sh) and starts etcd + kube-apiserver with KubeRay's CRDs and the Prometheus
 *     Operator's (PodMonitor, ServiceMonitor, PrometheusRule) installed.
 *  2. Renders every target (the overlays, their evaluation/ folders, the components switched on) with
 *     kubectl's built-in kustomize and applies each rendering with a server-side dry run,
 *     --validate=strict (unknown fields, wrong types, missing required fields, CRD schemas).
 *  3. Runs the repo-level rules (test/k8s/rules.ts): node-group taints and labels from
 *     k8s/eks/cluster.yaml against every pod template, the Ray version pin, the worker image.
 *  4. Starts the KubeRay operator and asserts what it creates from each target's Ray objects
 *     (test/k8s/reconcile.ts).
 *  5. Validates every broken fixture in test/k8s/fixtures and requires each to fail with the error its
 *     `# expect:` lines name.
 * With paths (`npm run k8s:validate -- <file or kustomization dir>...`) it runs steps 1–3 on those
 * only and exits 1 when any is rejected.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { type ControlPlane, startControlPlane, type Tools } from './control-plane.js';
import { checkReconciliation } from './reconcile.js';
import { checkPlacement, checkRayPods, type KubeObject, type NodeGroup, nodeGroupsOf } from './rules.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What is rendered and checked. `eks: true` = the node groups of k8s/eks/cluster.yaml apply. */
interface Target {
  name: string;
  dir: string;
  components?: string[];
  eks: boolean;
}

const TARGETS: Target[] = [
  { name: 'overlays/dev', dir: 'k8s/overlays/dev', eks: false },
  { name: 'overlays/dev/evaluation', dir: 'k8s/overlays/dev/evaluation', eks: false },
  { name: 'overlays/eks', dir: 'k8s/overlays/eks', eks: true },
  { name: 'overlays/eks/evaluation', dir: 'k8s/overlays/eks/evaluation', eks: true },
  { name: 'overlays/eks/benchmark', dir: 'k8s/overlays/eks/benchmark', eks: true },
  {
    name: 'overlays/eks + components/mlflow-ingress',
    dir: 'k8s/overlays/eks',
    components: ['k8s/components/mlflow-ingress'],
    eks: true,
  },
  // overlays/eks switches monitoring on; dev has it off, so the switch is checked there.
  {
    name: 'overlays/dev + components/monitoring',
    dir: 'k8s/overlays/dev',
    components: ['k8s/components/monitoring'],
    eks: false,
  },
  {
    name: 'overlays/dev/evaluation + components/monitoring/evaluation',
    dir: 'k8s/overlays/dev/evaluation',
    components: ['k8s/components/monitoring/evaluation'],
    eks: false,
  },
  {
    name: 'overlays/eks + components/vllm-judge',
    dir: 'k8s/overlays/eks',
    components: ['k8s/components/vllm-judge'],
    eks: true,
  },
];

const FIXTURES = path.join(repo, 'test/k8s/fixtures');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** scripts/k8s-tools.sh: builds what is missing (progress on stderr), prints the cache folder. */
async function ensureTools(): Promise<Tools> {
  const versions = Object.fromEntries(
    readFileSync(path.join(repo, 'k8s/versions.env'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=') as [string, string]),
  );
  const cache = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [path.join(repo, 'scripts/k8s-tools.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`scripts/k8s-tools.sh exited with ${code}`)),
    );
  });
  const k8s = path.join(cache, `kubernetes-${versions.KUBERNETES_VERSION}`);
  const kuberay = path.join(cache, `kuberay-${versions.KUBERAY_VERSION}`);
  log(
    `tools: Kubernetes ${versions.KUBERNETES_VERSION}, etcd ${versions.ETCD_VERSION}, KubeRay ${versions.KUBERAY_VERSION}, Prometheus Operator CRDs ${versions.PROMETHEUS_OPERATOR_VERSION} (${cache})`,
  );
  return {
    kubeApiserver: path.join(k8s, 'kube-apiserver'),
    kubectl: path.join(k8s, 'kubectl'),
    etcd: path.join(cache, `etcd-${versions.ETCD_VERSION}`, 'etcd'),
    rayOperator: path.join(kuberay, 'ray-operator'),
    crdDir: path.join(kuberay, 'crds'),
    monitoringCrdDir: path.join(cache, `prometheus-operator-${versions.PROMETHEUS_OPERATOR_VERSION}`, 'crds'),
  };
}

function parseObjects(text: string, source: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors[0]?.message}`);
    const value = document.toJS() as KubeObject | null;
    return value === null ? [] : [value];
  });
}

/** Renders a kustomization (plus components, through a temporary kustomization) or reads a file. */
async function render(
  plane: ControlPlane,
  entry: { dir: string; components?: string[] },
): Promise<{ text: string; error?: string }> {
  const absolute = path.resolve(repo, entry.dir);
  if (!existsSync(path.join(absolute, 'kustomization.yaml'))) return { text: readFileSync(absolute, 'utf8') };
  let dir = absolute;
  let scratch: string | undefined;
  if (entry.components !== undefined) {
    // What a user does by listing the components in the overlay: a kustomization over the overlay,
    // in its namespace (kustomize takes only relative paths).
    scratch = mkdtempSync(path.join(tmpdir(), 'judgeflow-kustomize-'));
    const from = scratch;
    const relative = (p: string) => JSON.stringify(path.relative(from, path.resolve(repo, p)));
    const namespace = (
      parseYaml(readFileSync(path.join(absolute, 'kustomization.yaml'), 'utf8')) as { namespace?: string }
    ).namespace;
    const lines = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      ...(namespace !== undefined ? [`namespace: ${namespace}`] : []),
      `resources: [${relative(entry.dir)}]`,
      `components: [${entry.components.map(relative).join(', ')}]`,
    ];
    writeFileSync(path.join(scratch, 'kustomization.yaml'), `${lines.join('\n')}\n`);
    dir = scratch;
  }
  try {
    const result = await plane.kubectl(['kustomize', dir]);
    return result.code === 0
      ? { text: result.stdout }
      : { text: '', error: `kustomize: ${result.stderr.trim()}` };
  } finally {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
}

/** Dry-run apply (strict) + the repo-level rules; returns every problem found. */
async function validateRendering(
  plane: ControlPlane,
  text: string,
  options: { source: string; nodeGroups: NodeGroup[]; rayPin: string; workerImage: string },
): Promise<{ objects: KubeObject[]; problems: string[] }> {
  const objects = parseObjects(text, options.source);
  const problems: string[] = [];
  for (const namespace of new Set(objects.map((o) => o.metadata?.namespace).filter((n) => n !== undefined))) {
    const created = await plane.kubectl(['create', 'namespace', namespace]);
    if (created.code !== 0 && !created.stderr.includes('AlreadyExists')) problems.push(created.stderr.trim());
  }
  const dryRun = await plane.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], {
    input: text,
  });
  if (dryRun.code !== 0) problems.push(...dryRun.stderr.trim().split('\n').filter(Boolean));
  problems.push(...checkPlacement(objects, options.nodeGroups));
  problems.push(
    ...checkRayPods(objects, {
      rayVersion: options.rayPin,
      workerImage: options.workerImage,
      servingImages: ['rayproject/ray-llm'],
    }),
  );
  return { objects, problems };
}

function repoFacts(): { eksNodeGroups: NodeGroup[]; rayPin: string; workerImage: string } {
  const eksNodeGroups = nodeGroupsOf(
    parseYaml(readFileSync(path.join(repo, 'k8s/eks/cluster.yaml'), 'utf8')),
  );
  const rayPin = /ray\[default\]==([0-9.]+)/.exec(
    readFileSync(path.join(repo, 'python/requirements/ray.txt'), 'utf8'),
  )?.[1];
  if (rayPin === undefined) throw new Error('python/requirements/ray.txt: no ray[default]== pin');
  const workerImage = /docker build -f docker\/Dockerfile -t (\S+)/.exec(
    readFileSync(path.join(repo, 'docker/Dockerfile'), 'utf8'),
  )?.[1];
  if (workerImage === undefined) throw new Error('docker/Dockerfile: no "docker build ... -t <image>" line');
  return { eksNodeGroups, rayPin, workerImage };
}

async function installCrds(plane: ControlPlane, what: string, crdDir: string): Promise<void> {
  const applied = await plane.kubectl(['apply', '--server-side', '-f', crdDir]);
  if (applied.code !== 0) throw new Error(`installing ${what} CRDs: ${applied.stderr.trim()}`);
  const waited = await plane.kubectl(['wait', '--for=condition=established', '--timeout=60s', '-f', crdDir]);
  if (waited.code !== 0) throw new Error(`${what} CRDs not established: ${waited.stderr.trim()}`);
}

/** The `# expect:` lines of a fixture and whether it is checked against the EKS node groups. */
function fixtureHeader(text: string): { expect: string[]; eks: boolean } {
  const expect = [...text.matchAll(/^# expect: (.+)$/gm)].map((m) => (m[1] as string).trim());
  return { expect, eks: /^# node-groups: eks$/m.test(text) };
}

async function main(paths: string[]): Promise<number> {
  const started = Date.now();
  const tools = await ensureTools();
  log(`tools ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const facts = repoFacts();
  const planeStarted = Date.now();
  const plane = await startControlPlane(tools);
  let failures = 0;
  const fail = (line: string) => {
    failures += 1;
    log(`FAIL ${line}`);
  };
  try {
    await installCrds(plane, 'KubeRay', tools.crdDir);
    await installCrds(plane, 'Prometheus Operator', tools.monitoringCrdDir);
    log(
      `API server ready, KubeRay and Prometheus Operator CRDs installed (${((Date.now() - planeStarted) / 1000).toFixed(1)} s)`,
    );
    const entries: Target[] = paths.length > 0 ? paths.map((p) => ({ name: p, dir: p, eks: true })) : TARGETS;
    const rendered: Array<{ target: Target; objects: KubeObject[] }> = [];
    for (const target of entries) {
      const { text, error } = await render(plane, target);
      if (error !== undefined) {
        fail(`${target.name}: ${error}`);
        continue;
      }
      const { objects, problems } = await validateRendering(plane, text, {
        source: target.name,
        nodeGroups: target.eks ? facts.eksNodeGroups : [],
        ...facts,
      });
      if (problems.length > 0) fail(`${target.name}:\n  ${problems.join('\n  ')}`);
      else log(`ok   ${target.name}: ${objects.length} objects accepted (dry run, strict) and rules pass`);
      rendered.push({ target, objects });
    }
    if (paths.length > 0) return failures === 0 ? 0 : 1;

    await plane.startOperator();
    log('KubeRay operator running');
    // One namespace per deployment: an overlay with its evaluation/ (and benchmark/) folder, applied as
    // the guide does — into the namespace the overlay deployed (its ServiceAccounts, Secrets).
    const deployments = new Map<string, KubeObject[]>();
    for (const { target, objects } of rendered) {
      if (target.components !== undefined) continue;
      const overlay = target.dir.replace(/\/(evaluation|benchmark)$/, '');
      deployments.set(overlay, [...(deployments.get(overlay) ?? []), ...objects]);
    }
    const reconciled = await Promise.allSettled(
      [...deployments].map(async ([overlay, objects], index) => ({
        overlay,
        lines: await checkReconciliation(plane, `check-${index}`, objects),
      })),
    );
    for (const result of reconciled) {
      if (result.status === 'rejected') fail(`operator: ${(result.reason as Error).message}`);
      else for (const line of result.value.lines) log(`ok   ${result.value.overlay}: ${line}`);
    }

    for (const file of readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const text = readFileSync(path.join(FIXTURES, file), 'utf8');
      const header = fixtureHeader(text);
      const { problems } = await validateRendering(plane, text, {
        source: file,
        nodeGroups: header.eks ? facts.eksNodeGroups : [],
        ...facts,
      });
      const missing = header.expect.filter((e) => !problems.some((p) => p.includes(e)));
      if (header.expect.length === 0) fail(`fixture ${file}: no "# expect:" line`);
      else if (problems.length === 0)
        fail(`fixture ${file}: accepted, but it is broken (${header.expect.join('; ')})`);
      else if (missing.length > 0)
        fail(`fixture ${file}: rejected, but not for "${missing.join('", "')}":\n  ${problems.join('\n  ')}`);
      else log(`ok   fixture ${file} rejected: ${problems.join(' | ')}`);
    }
  } finally {
    if (failures > 0 && process.env.JUDGEFLOW_K8S_KEEP_LOGS === '1')
      log(`control-plane logs kept in ${plane.logDir}`);
    else if (failures > 0) log('JUDGEFLOW_K8S_KEEP_LOGS=1 keeps the etcd, kube-apiserver and operator logs');
    await plane.stop();
  }
  log(
    `${failures === 0 ? 'passed' : `${failures} failure(s)`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`k8s:validate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
