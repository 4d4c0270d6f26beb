/**
 * Repo-level rules the API server cannot check, because they span files: the eksctl node groups
 * (k8s/eks/cluster.yaml) against the pods the manifests would create, the Ray version against the
 * Python pin, the Ray pods' image against docker/Dockerfile. Pure functions over parsed objects, so a
 * unit test runs them without a cluster (test/unit/k8s-rules.test.ts).
 */

/** A Kubernetes object as rendered by kustomize (only the fields the rules read are typed). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
}

/** One node group of an eksctl ClusterConfig, as the scheduler will see its nodes. */
export interface NodeGroup {
  name: string;
  instanceType: string;
  labels: Record<string, string>;
  taints: Taint[];
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

interface Container {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}

interface PodSpec {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  containers?: Container[];
}

/** A pod template found in an object, named by where it sits (`RayCluster/judgeflow worker group gpu`). */
export interface PodTemplateRef {
  where: string;
  spec: PodSpec;
  /** The Ray cluster spec holding it, when it is a Ray pod. */
  rayCluster?: RayClusterSpec;
}

export interface RayClusterSpec {
  rayVersion?: unknown;
  headGroupSpec?: { template?: { spec?: PodSpec } };
  workerGroupSpecs?: Array<{ groupName?: string; template?: { spec?: PodSpec } }>;
}

/** The Ray cluster spec of a RayCluster, a RayJob (rayClusterSpec) or a RayService (rayClusterConfig). */
export function rayClusterSpecOf(object: KubeObject): RayClusterSpec | undefined {
  const spec = object.spec ?? {};
  switch (object.kind) {
    case 'RayCluster':
      return spec as RayClusterSpec;
    case 'RayJob':
      return spec.rayClusterSpec as RayClusterSpec | undefined;
    case 'RayService':
      return spec.rayClusterConfig as RayClusterSpec | undefined;
    default:
      return undefined;
  }
}

/** Every pod template of an object: workload templates and each group of a (nested) Ray cluster spec. */
export function podTemplates(object: KubeObject): PodTemplateRef[] {
  const id = `${object.kind}/${object.metadata.name}`;
  const spec = object.spec ?? {};
  const rayCluster = rayClusterSpecOf(object);
  if (rayCluster !== undefined) {
    const refs: PodTemplateRef[] = [];
    const head = rayCluster.headGroupSpec?.template?.spec;
    if (head !== undefined) refs.push({ where: `${id} head`, spec: head, rayCluster });
    for (const [index, group] of (rayCluster.workerGroupSpecs ?? []).entries()) {
      const pod = group.template?.spec;
      if (pod !== undefined)
        refs.push({ where: `${id} worker group ${group.groupName ?? `#${index}`}`, spec: pod, rayCluster });
    }
    return refs;
  }
  const template = (object.kind === 'CronJob' ? (spec.jobTemplate as { spec?: unknown })?.spec : spec) as
    | { template?: { spec?: PodSpec } }
    | undefined;
  const pod = template?.template?.spec;
  return pod !== undefined ? [{ where: id, spec: pod }] : [];
}

/** The GPUs a pod asks for: any resource whose name ends in `gpu` (as KubeRay counts them). */
export function gpuRequest(pod: PodSpec): number {
  let total = 0;
  for (const container of pod.containers ?? []) {
    const limits = { ...container.resources?.requests, ...container.resources?.limits };
    for (const [name, value] of Object.entries(limits)) {
      if (/gpu$/i.test(name)) total += Number(value) || 0;
    }
  }
  return total;
}

/** Whether a toleration admits a taint, by the scheduler's rules (operator Exists/Equal, empty key/effect). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== '' && toleration.effect !== taint.effect)
    return false;
  if (toleration.key === undefined || toleration.key === '') return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

const GPU_INSTANCE = /^(p[2-6]|g[3-6]|gr6|g5g|g6e|p5e|p5en|trn|inf)/;

/**
 * Node-placement rules for a cluster with the given node groups:
 * - a pod's nodeSelector must match the labels of at least one node group;
 * - it must tolerate every NoSchedule/NoExecute taint of at least one group it selects (else it stays
 *   Pending forever — the API server accepts it, the scheduler never places it);
 * - a pod that asks for a GPU must select a group of GPU instances.
 * With no node groups (a laptop cluster), a pod may not ask for a GPU.
 */
export function checkPlacement(objects: KubeObject[], nodeGroups: NodeGroup[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    for (const pod of podTemplates(object)) {
      const gpus = gpuRequest(pod.spec);
      if (nodeGroups.length === 0) {
        if (gpus > 0) problems.push(`${pod.where}: asks for ${gpus} GPU(s) on a cluster without GPU nodes`);
        continue;
      }
      const selector = pod.spec.nodeSelector ?? {};
      const candidates = nodeGroups.filter((group) =>
        Object.entries(selector).every(([key, value]) => group.labels[key] === value),
      );
      if (candidates.length === 0) {
        problems.push(
          `${pod.where}: nodeSelector ${JSON.stringify(selector)} matches no node group of k8s/eks/cluster.yaml`,
        );
        continue;
      }
      const placeable = candidates.filter((group) =>
        group.taints
          .filter((taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute')
          .every((taint) => (pod.spec.tolerations ?? []).some((t) => tolerates(t, taint))),
      );
      if (placeable.length === 0) {
        const taints = candidates.map(
          (group) =>
            `${group.name}: ${group.taints.map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).join(', ')}`,
        );
        problems.push(
          `${pod.where}: no toleration matches the taints of the node group(s) it selects (${taints.join('; ')})`,
        );
        continue;
      }
      if (gpus > 0 && !placeable.some((group) => GPU_INSTANCE.test(group.instanceType))) {
        problems.push(
          `${pod.where}: asks for ${gpus} GPU(s) but selects only non-GPU node groups (${placeable.map((g) => `${g.name} ${g.instanceType}`).join(', ')}); set nodeSelector judgeflow/node-pool: gpu`,
        );
      }
    }
  }
  return problems;
}

/**
 * Ray pods judgeflow runs use the worker image built by docker/Dockerfile (same name and tag; the
 * registry may differ), and every Ray cluster spec's rayVersion is the Ray pin. `servingImages` lists image repositories allowed in addition (the vLLM
 * judge's ray-llm image), matched without their tag.
 */
export function checkRayPods(
  objects: KubeObject[],
  options: { rayVersion: string; workerImage: string; servingImages: string[] },
): string[] {
  const problems: string[] = [];
  const repository = (image: string) => image.replace(/[:@][^/]*$/, '');
  const lastSegment = (image: string) => image.slice(image.lastIndexOf('/') + 1);
  for (const object of objects) {
    const cluster = rayClusterSpecOf(object);
    if (cluster === undefined) continue;
    if (cluster.rayVersion !== options.rayVersion) {
      problems.push(
        `${object.kind}/${object.metadata.name}: rayVersion ${JSON.stringify(cluster.rayVersion)} is not the Ray pin ${options.rayVersion} (python/requirements/ray.txt)`,
      );
    }
    for (const pod of podTemplates(object)) {
      for (const container of pod.spec.containers ?? []) {
        const image = container.image ?? '';
        if (options.servingImages.includes(repository(image))) {
          if (!image.includes(`:${options.rayVersion}`))
            problems.push(`${pod.where}: image ${image} is not Ray ${options.rayVersion}`);
          continue;
        }
        // An overlay may push the image to its own registry (kustomize `images:`): name and tag must stay.
        if (lastSegment(image) !== lastSegment(options.workerImage))
          problems.push(
            `${pod.where}: container ${container.name} runs ${image}, not the judgeflow worker image (${options.workerImage} from docker/Dockerfile, in any registry)`,
          );
      }
    }
  }
  return problems;
}

/** Node groups of an eksctl ClusterConfig (managedNodeGroups and nodeGroups). */
export function nodeGroupsOf(clusterConfig: unknown): NodeGroup[] {
  const config = clusterConfig as {
    kind?: string;
    managedNodeGroups?: unknown[];
    nodeGroups?: unknown[];
  };
  if (config?.kind !== 'ClusterConfig') throw new Error('k8s/eks/cluster.yaml: kind is not ClusterConfig');
  return [...(config.managedNodeGroups ?? []), ...(config.nodeGroups ?? [])].map((raw, index) => {
    const group = raw as Partial<NodeGroup> & { taints?: Taint[] | Record<string, string> };
    if (typeof group.name !== 'string' || typeof group.instanceType !== 'string')
      throw new Error(`k8s/eks/cluster.yaml: node group #${index} needs a name and an instanceType`);
    // eksctl also takes the older map form {key: "value:Effect"}.
    const taints = Array.isArray(group.taints)
      ? group.taints
      : Object.entries(group.taints ?? {}).map(([key, spec]) => {
          const [value, effect] = String(spec).split(':');
          return { key, ...(value ? { value } : {}), effect: effect ?? '' };
        });
    return { name: group.name, instanceType: group.instanceType, labels: group.labels ?? {}, taints };
  });
}
