/**
 * What the KubeRay operator makes of the Ray objects, asserted on the objects it creates in the API
 * server (there are no nodes: pods stay Pending, so readiness is never asserted):
 * - a RayCluster becomes its head Service, a head pod (with the autoscaler sidecar when in-tree
 *   autoscaling is on, `ray start` with the head's rayStartParams) and, per worker group, `replicas`
 *   worker pods with the group's resources, nodeSelector and tolerations (`--num-gpus` for GPU groups);
 *   after raising a group's replicas (what Ray's autoscaler does), that many pods;
 * - a RayJob creates its RayCluster (owned by the RayJob) with the job's worker groups;
 * - a RayService creates its RayCluster (owned by the RayService) with the service's worker groups.
 */
import type { ControlPlane } from './control-plane.js';
import { gpuRequest, type KubeObject, type RayClusterSpec, rayClusterSpecOf } from './rules.js';

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    nodeSelector?: Record<string, string>;
    tolerations?: unknown[];
    containers: Array<{
      name: string;
      image: string;
      resources?: unknown;
      env?: Array<{ name: string; value?: string }>;
    }>;
  };
}

interface Owned {
  metadata: { name: string; ownerReferences?: Array<{ kind: string; name: string }> };
  spec: RayClusterSpec & Record<string, unknown>;
  status?: Record<string, unknown>;
}

const TIMEOUT_MS = 60_000;

async function getJson<T>(plane: ControlPlane, args: string[]): Promise<T> {
  const result = await plane.kubectl(['get', ...args, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as T;
}

/** Polls `check` (which throws what is still missing) until it passes or the time is up. */
async function eventually<T>(what: string, check: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** JSON with object keys sorted: the API server returns fields in Go struct order, not the YAML's. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

function expectEqual(label: string, actual: unknown, expected: unknown): void {
  if (canonical(actual) !== canonical(expected))
    throw new Error(`${label}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function startCommand(pod: Pod): string {
  const container = pod.spec.containers[0];
  return container?.env?.find((e) => e.name === 'KUBERAY_GEN_RAY_START_CMD')?.value ?? '';
}

interface ClusterExpectation {
  namespace: string;
  name: string;
  spec: RayClusterSpec & { enableInTreeAutoscaling?: boolean };
  /** Replicas per worker group (defaults: the spec's replicas, clamped to min/max). */
  replicas?: Record<string, number>;
}

type Group = NonNullable<RayClusterSpec['workerGroupSpecs']>[number] & {
  replicas?: number;
  minReplicas?: number;
  maxReplicas?: number;
  template?: { spec?: Pod['spec'] };
};

function expectedReplicas(group: Group): number {
  const replicas = group.replicas ?? group.minReplicas ?? 0;
  return Math.min(Math.max(replicas, group.minReplicas ?? 0), group.maxReplicas ?? Number.MAX_SAFE_INTEGER);
}

/** Asserts the head Service, head pod and worker pods of one RayCluster; returns a summary line. */
async function expectCluster(plane: ControlPlane, expectation: ClusterExpectation): Promise<string> {
  const { namespace, name, spec } = expectation;
  return eventually(`RayCluster ${namespace}/${name}`, async () => {
    await getJson(plane, ['service', '-n', namespace, `${name}-head-svc`]);
    const pods = (
      await getJson<{ items: Pod[] }>(plane, ['pods', '-n', namespace, '-l', `ray.io/cluster=${name}`])
    ).items;
    const heads = pods.filter((p) => p.metadata.labels?.['ray.io/node-type'] === 'head');
    expectEqual('head pods', heads.length, 1);
    const head = heads[0] as Pod;
    const containers = head.spec.containers.map((c) => c.name);
    if (spec.enableInTreeAutoscaling === true && !containers.includes('autoscaler'))
      throw new Error(`head pod has no autoscaler sidecar (containers: ${containers.join(', ')})`);
    const headParams = (spec.headGroupSpec as { rayStartParams?: Record<string, string> } | undefined)
      ?.rayStartParams;
    for (const [param, value] of Object.entries(headParams ?? {}))
      if (!startCommand(head).includes(`--${param}=${value}`))
        throw new Error(`head's ray start lacks --${param}=${value}: ${startCommand(head)}`);
    const summary: string[] = [];
    for (const group of (spec.workerGroupSpecs ?? []) as Group[]) {
      const groupName = group.groupName ?? '';
      const want = expectation.replicas?.[groupName] ?? expectedReplicas(group);
      const workers = pods.filter(
        (p) =>
          p.metadata.labels?.['ray.io/node-type'] === 'worker' &&
          p.metadata.labels['ray.io/group'] === groupName,
      );
      expectEqual(`worker group ${groupName} pods`, workers.length, want);
      const template = group.template?.spec;
      for (const worker of workers) {
        const container = worker.spec.containers[0];
        const wanted = template?.containers[0];
        expectEqual(`${worker.metadata.name} image`, container?.image, wanted?.image);
        expectEqual(`${worker.metadata.name} resources`, container?.resources, wanted?.resources);
        expectEqual(`${worker.metadata.name} nodeSelector`, worker.spec.nodeSelector, template?.nodeSelector);
        for (const toleration of template?.tolerations ?? [])
          if (!(worker.spec.tolerations ?? []).some((t) => canonical(t) === canonical(toleration)))
            throw new Error(`${worker.metadata.name} lacks toleration ${JSON.stringify(toleration)}`);
        const gpus = template !== undefined ? gpuRequest(template) : 0;
        if (gpus > 0 && !startCommand(worker).includes(`--num-gpus=${gpus}`))
          throw new Error(
            `${worker.metadata.name}: ray start lacks --num-gpus=${gpus}: ${startCommand(worker)}`,
          );
      }
      summary.push(`${groupName}×${want}`);
    }
    return `head + ${summary.join(', ') || 'no worker groups'}`;
  });
}

async function ownedCluster(plane: ControlPlane, namespace: string, ownerKind: string, owner: string) {
  return eventually(`RayCluster owned by ${ownerKind} ${namespace}/${owner}`, async () => {
    const clusters = (await getJson<{ items: Owned[] }>(plane, ['rayclusters', '-n', namespace])).items;
    const found = clusters.find((c) =>
      (c.metadata.ownerReferences ?? []).some((o) => o.kind === ownerKind && o.name === owner),
    );
    if (found === undefined) throw new Error('not created');
    return found;
  });
}

/**
 * Applies the objects of one deployment (an overlay and its evaluation/ folder) into `namespace`, for
 * real, and asserts what the running operator makes of each Ray object. Returns one line per object.
 */
export async function checkReconciliation(
  plane: ControlPlane,
  namespace: string,
  objects: KubeObject[],
): Promise<string[]> {
  const rayObjects = objects.filter((o) => rayClusterSpecOf(o) !== undefined);
  if (rayObjects.length === 0) return [];
  const created = await plane.kubectl(['create', 'namespace', namespace]);
  if (created.code !== 0 && !created.stderr.includes('AlreadyExists'))
    throw new Error(`create namespace ${namespace}: ${created.stderr.trim()}`);
  // Everything, not only the Ray objects: the operator refuses a head pod whose ServiceAccount does not
  // exist, as it would on a real cluster where the overlay was applied first.
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: objects
      .filter((o) => o.kind !== 'Namespace')
      .map((o) => ({ ...o, metadata: { ...o.metadata, namespace } })),
  };
  const applied = await plane.kubectl(['apply', '-f', '-'], { input: JSON.stringify(list) });
  if (applied.code !== 0) throw new Error(`apply into ${namespace}: ${applied.stderr.trim()}`);

  return Promise.all(
    rayObjects.map(async (object) => {
      const id = `${object.kind}/${object.metadata.name}`;
      const spec = rayClusterSpecOf(object) as ClusterExpectation['spec'];
      if (object.kind === 'RayCluster') {
        const name = object.metadata.name;
        const first = await expectCluster(plane, { namespace, name, spec });
        // What Ray's autoscaler does under load: raise each group's replicas (here to min(max, 2)).
        const replicas: Record<string, number> = {};
        const patch = ((spec.workerGroupSpecs ?? []) as Group[]).map((group, index) => {
          replicas[group.groupName ?? ''] = Math.min(group.maxReplicas ?? 2, 2);
          return {
            op: 'replace',
            path: `/spec/workerGroupSpecs/${index}/replicas`,
            value: replicas[group.groupName ?? ''],
          };
        });
        const patched = await plane.kubectl([
          'patch',
          'raycluster',
          name,
          '-n',
          namespace,
          '--type=json',
          '-p',
          JSON.stringify(patch),
        ]);
        if (patched.code !== 0) throw new Error(`${id}: scaling up: ${patched.stderr.trim()}`);
        const scaled = await expectCluster(plane, { namespace, name, spec, replicas });
        return `${id}: ${first}; scaled up: ${scaled}`;
      }
      const cluster = await ownedCluster(plane, namespace, object.kind, object.metadata.name);
      expectEqual(
        `${id}'s RayCluster worker groups`,
        (cluster.spec.workerGroupSpecs ?? []).map((g) => g.groupName),
        (spec.workerGroupSpecs ?? []).map((g) => g.groupName),
      );
      const pods = await expectCluster(plane, { namespace, name: cluster.metadata.name, spec: cluster.spec });
      if (object.kind === 'RayJob') {
        const job = await getJson<Owned>(plane, ['rayjob', '-n', namespace, object.metadata.name]);
        expectEqual(`${id} status.rayClusterName`, job.status?.rayClusterName, cluster.metadata.name);
      }
      return `${id}: created RayCluster ${cluster.metadata.name} (${pods})`;
    }),
  );
}
