import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import {
  checkPlacement,
  checkRayPods,
  type KubeObject,
  type NodeGroup,
  nodeGroupsOf,
  podTemplates,
  tolerates,
} from '../k8s/rules.js';

/**
 * The validator's repo-level rules (test/k8s/rules.ts) without a cluster, and the cross-file facts of
 * k8s/ that hold before any rendering. `npm run k8s:validate` checks the rendered overlays against a
 * real API server and the KubeRay operator; this test is the fast part.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(repo, file), 'utf8');
const objectsOf = (file: string) =>
  parseAllDocuments(read(file))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);

const nodeGroups = nodeGroupsOf(parseYaml(read('k8s/eks/cluster.yaml')));
const rayPin = /ray\[default\]==([0-9.]+)/.exec(read('python/requirements/ray.txt'))?.[1] as string;
const workerImage = 'ghcr.io/judgeflow/judgeflow-ray:0.1.0';

function rayCluster(worker: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'ray.io/v1',
    kind: 'RayCluster',
    metadata: { name: 'c' },
    spec: {
      rayVersion: rayPin,
      headGroupSpec: {
        template: {
          spec: {
            nodeSelector: { 'judgeflow/node-pool': 'system' },
            containers: [{ name: 'h', image: workerImage }],
          },
        },
      },
      workerGroupSpecs: [
        {
          groupName: 'w',
          template: { spec: { containers: [{ name: 'w', image: workerImage }], ...worker } },
        },
      ],
    },
  };
}
const gpuContainer = [{ name: 'w', image: workerImage, resources: { limits: { 'nvidia.com/gpu': '1' } } }];

describe('k8s validator rules', () => {
  it('reads the node groups, their labels and taints from the eksctl config', () => {
    const byName = Object.fromEntries(nodeGroups.map((g) => [g.name, g]));
    expect(Object.keys(byName).sort()).toEqual(['cpu', 'gpu', 'system']);
    expect(byName.gpu?.taints).toEqual([{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }]);
    expect(byName.gpu?.labels).toEqual({ 'judgeflow/node-pool': 'gpu' });
    expect(
      nodeGroupsOf({
        kind: 'ClusterConfig',
        nodeGroups: [{ name: 'x', instanceType: 'm5.large', taints: { a: 'b:NoSchedule' } }],
      })[0]?.taints,
    ).toEqual([{ key: 'a', value: 'b', effect: 'NoSchedule' }]);
    expect(() => nodeGroupsOf({ kind: 'Nope' })).toThrow(/ClusterConfig/);
  });

  it('matches tolerations to taints as the scheduler does', () => {
    const taint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };
    expect(tolerates({ key: 'nvidia.com/gpu', operator: 'Exists' }, taint)).toBe(true);
    expect(
      tolerates({ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }, taint),
    ).toBe(true);
    expect(tolerates({ key: 'nvidia.com/gpu', operator: 'Equal', value: 'false' }, taint)).toBe(false);
    expect(tolerates({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(tolerates({ operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ key: 'other', operator: 'Exists' }, taint)).toBe(false);
  });

  it('rejects a GPU group without a toleration for the gpu node group taint (the broken fixture)', () => {
    const fixture = objectsOf('test/k8s/fixtures/gpu-group-without-toleration.yaml');
    const problems = checkPlacement(fixture, nodeGroups);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^RayCluster\/gpu-no-toleration worker group gpu: no toleration matches the taints .*gpu: nvidia\.com\/gpu=true:NoSchedule/,
    );
  });

  it('rejects GPU pods placed on CPU groups, selectors no group has, and GPUs on a laptop cluster', () => {
    const onCpu = rayCluster({
      nodeSelector: { 'judgeflow/node-pool': 'cpu' },
      tolerations: [{ key: 'judgeflow/node-pool', operator: 'Exists' }],
      containers: gpuContainer,
    });
    expect(checkPlacement([onCpu], nodeGroups)).toEqual([
      expect.stringMatching(/asks for 1 GPU\(s\) but selects only non-GPU node groups \(cpu c6i\.2xlarge\)/),
    ]);
    const unknownPool = rayCluster({ nodeSelector: { 'judgeflow/node-pool': 'gpus' } });
    expect(checkPlacement([unknownPool], nodeGroups)).toEqual([
      expect.stringMatching(/matches no node group/),
    ]);
    const good = rayCluster({
      nodeSelector: { 'judgeflow/node-pool': 'gpu' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      containers: gpuContainer,
    });
    expect(checkPlacement([good], nodeGroups)).toEqual([]);
    expect(checkPlacement([good], [])).toEqual([expect.stringMatching(/cluster without GPU nodes/)]);
  });

  it('finds pod templates in workloads and in every Ray cluster spec', () => {
    const service = objectsOf('k8s/overlays/eks/rayservice-judge.yaml');
    expect(podTemplates(service[0] as KubeObject).map((p) => p.where)).toEqual([
      'RayService/judge head',
      'RayService/judge worker group gpu',
    ]);
    const job = objectsOf('k8s/evaluation/rayjob.yaml');
    expect(podTemplates(job[0] as KubeObject).map((p) => p.where)).toEqual([
      'RayJob/qa-eval head',
      'RayJob/qa-eval worker group cpu',
    ]);
    const vllm = objectsOf('k8s/components/vllm-judge/vllm-judge.yaml').filter(
      (o) => o.kind === 'Deployment',
    );
    expect(podTemplates(vllm[0] as KubeObject)).toHaveLength(1);
  });

  it('flags a Ray version other than the pin and a pod not on the worker image', () => {
    const options = { rayVersion: rayPin, workerImage, servingImages: ['rayproject/ray-llm'] };
    const cluster = rayCluster({ containers: [{ name: 'w', image: 'rayproject/ray:2.9.0' }] });
    (cluster.spec as { rayVersion: string }).rayVersion = '2.9.0';
    expect(checkRayPods([cluster], options)).toEqual([
      expect.stringMatching(/rayVersion "2\.9\.0" is not the Ray pin/),
      expect.stringMatching(/runs rayproject\/ray:2\.9\.0, not the judgeflow worker image/),
    ]);
    expect(checkRayPods(objectsOf('k8s/overlays/eks/rayservice-judge.yaml'), options)).toEqual([]);
  });
});

describe('k8s/ cross-file facts', () => {
  const groups = (name: string) => nodeGroups.find((g) => g.name === name) as NodeGroup;

  it('the judge and the standalone vLLM Deployment fit the gpu node group', () => {
    const objects = [
      ...objectsOf('k8s/overlays/eks/rayservice-judge.yaml'),
      ...objectsOf('k8s/components/vllm-judge/vllm-judge.yaml'),
      ...objectsOf('k8s/base/ray/raycluster.yaml'),
    ];
    expect(checkPlacement(objects, nodeGroups)).toEqual([]);
    expect(groups('gpu').instanceType).toMatch(/^g5\./);
  });

  it('the IRSA role names, the bucket and the ECR images agree across files', () => {
    const cluster = parseYaml(read('k8s/eks/cluster.yaml')) as {
      metadata: { region: string };
      iam: { withOIDC: boolean; serviceAccounts: Array<{ metadata: { name: string }; roleName: string }> };
    };
    expect(cluster.iam.withOIDC).toBe(true);
    // The account id: 111122223333 until docs/deploy-eks.md step 1 replaces it with yours.
    const account = /arn:aws:iam::(\d{12}):/.exec(read('k8s/eks/cluster.yaml'))?.[1] as string;
    expect(account).toMatch(/^\d{12}$/);
    const roles = Object.fromEntries(cluster.iam.serviceAccounts.map((s) => [s.metadata.name, s.roleName]));
    for (const serviceAccount of objectsOf('k8s/overlays/eks/serviceaccounts-patch.yaml')) {
      expect(serviceAccount.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(
        `arn:aws:iam::${account}:role/${roles[serviceAccount.metadata.name]}`,
      );
    }
    const bucket = (
      JSON.parse(read('k8s/eks/mlflow-s3-policy.json')) as { Statement: Array<{ Resource: string }> }
    ).Statement[0]?.Resource.replace('arn:aws:s3:::', '');
    expect(read('k8s/overlays/eks/mlflow-patch.yaml')).toContain(`s3://${bucket}/mlflow`);
    expect(read('k8s/overlays/eks/evaluation/rayjob-patch.yaml')).toContain(`s3://${bucket}/evals/`);
    expect(bucket).toBe(`judgeflow-mlflow-${account}`);
    expect(read('k8s/eks/evals-read-policy.json')).toContain(`arn:aws:s3:::${bucket}/evals/*`);
    const image = (file: string) =>
      (parseYaml(read(file)) as { images: Array<{ name: string; newName: string }> }).images.find(
        (i) => i.name === 'ghcr.io/judgeflow/judgeflow-ray',
      )?.newName;
    expect(image('k8s/overlays/eks/evaluation/kustomization.yaml')).toBe(
      image('k8s/overlays/eks/kustomization.yaml'),
    );
    expect(image('k8s/overlays/eks/kustomization.yaml')).toBe(
      `${account}.dkr.ecr.${cluster.metadata.region}.amazonaws.com/judgeflow-ray`,
    );
  });

  it('pins the Ray version in the Dockerfile and every Ray object to python/requirements/ray.txt', () => {
    expect(read('docker/Dockerfile')).toContain(`FROM rayproject/ray:${rayPin}-py311`);
    for (const file of [
      'k8s/base/ray/raycluster.yaml',
      'k8s/evaluation/rayjob.yaml',
      'k8s/overlays/eks/rayservice-judge.yaml',
    ]) {
      expect(read(file)).toContain(`rayVersion: "${rayPin}"`);
    }
  });

  it('runs the MLflow that judgeflow pins, from docker/mlflow.Dockerfile', () => {
    const pin = /^mlflow\[auth\]==([0-9.]+)$/m.exec(read('python/requirements/mlflow.txt'))?.[1];
    expect(read('k8s/base/mlflow/deployment.yaml')).toContain(`image: ghcr.io/judgeflow/mlflow:${pin}`);
    expect(read('docker/mlflow.Dockerfile')).toContain(`-t ghcr.io/judgeflow/mlflow:${pin} .`);
  });

  it('examples/k8s/eval.yaml is a valid eval file whose judge is the RayService', () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(read('schema/eval.schema.json')));
    const evalFile = parseYaml(read('examples/k8s/eval.yaml')) as {
      judge: { model: { base_url: string; model: string } };
    };
    expect(validate(evalFile), JSON.stringify(validate.errors)).toBe(true);
    const service = objectsOf('k8s/overlays/eks/rayservice-judge.yaml')[0] as KubeObject;
    const serve = parseYaml((service.spec as { serveConfigV2: string }).serveConfigV2) as {
      applications: Array<{
        route_prefix: string;
        args: { llm_configs: Array<{ model_loading_config: { model_id: string } }> };
      }>;
    };
    expect(evalFile.judge.model.base_url).toBe(
      `http://${service.metadata.name}-serve-svc.judgeflow.svc:8000/v1`,
    );
    expect(evalFile.judge.model.model).toBe(
      serve.applications[0]?.args.llm_configs[0]?.model_loading_config.model_id,
    );
    expect(serve.applications[0]?.route_prefix).toBe('/');
  });
});
