import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/**
 * Offline validation of k8s/: every YAML document parses, and each kind matches a small JSON Schema of
 * the fields judgeflow relies on — written here from the Kubernetes API and KubeRay v1 CRDs (v1.7.0:
 * RayCluster needs headGroupSpec.template; each worker group groupName, minReplicas, maxReplicas and
 * template; pod specs containers with a name; RayJob a rayClusterSpec or a clusterSelector) — plus the
 * cross-file facts no schema sees (selectors match pod labels, the Ray version matches the pin).
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const k8sDir = path.join(repo, 'k8s');

const quantity = {
  anyOf: [{ type: 'number' }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$' }],
};
const dns1123 = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
const resourceList = { type: 'object', additionalProperties: quantity, minProperties: 1 };

const definitions = {
  metadata: {
    type: 'object',
    required: ['name'],
    properties: {
      name: dns1123,
      namespace: dns1123,
      labels: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  container: {
    type: 'object',
    required: ['name', 'image', 'resources'],
    properties: {
      name: dns1123,
      // pinned: a tag that is not `latest`
      image: { type: 'string', pattern: '^[^\\s:]+(:[0-9]+)?/?[^\\s:]*:(?!latest$)[A-Za-z0-9._-]+$' },
      command: { type: 'array', items: { type: 'string' } },
      args: { type: 'array', items: { type: 'string' } },
      ports: {
        type: 'array',
        items: {
          type: 'object',
          required: ['containerPort'],
          properties: {
            containerPort: { type: 'integer', minimum: 1, maximum: 65535 },
            name: { type: 'string', maxLength: 15, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
          },
        },
      },
      env: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, value: { type: 'string' } },
          oneOf: [{ required: ['value'] }, { required: ['valueFrom'] }],
        },
      },
      resources: {
        type: 'object',
        required: ['requests', 'limits'],
        properties: { requests: resourceList, limits: resourceList },
      },
    },
  },
  podSpec: {
    type: 'object',
    required: ['containers'],
    properties: { containers: { type: 'array', minItems: 1, items: { $ref: '#/definitions/container' } } },
  },
  podTemplate: {
    type: 'object',
    required: ['spec'],
    properties: { metadata: { type: 'object' }, spec: { $ref: '#/definitions/podSpec' } },
  },
  rayStartParams: { type: 'object', additionalProperties: { type: 'string' } },
  rayClusterSpec: {
    type: 'object',
    required: ['headGroupSpec'],
    properties: {
      rayVersion: { type: 'string' },
      enableInTreeAutoscaling: { type: 'boolean' },
      headGroupSpec: {
        type: 'object',
        required: ['template'],
        properties: {
          rayStartParams: { $ref: '#/definitions/rayStartParams' },
          template: { $ref: '#/definitions/podTemplate' },
        },
      },
      workerGroupSpecs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['groupName', 'minReplicas', 'maxReplicas', 'template'],
          properties: {
            groupName: { type: 'string', minLength: 1 },
            replicas: { type: 'integer', minimum: 0 },
            minReplicas: { type: 'integer', minimum: 0 },
            maxReplicas: { type: 'integer', minimum: 0 },
            rayStartParams: { $ref: '#/definitions/rayStartParams' },
            template: { $ref: '#/definitions/podTemplate' },
          },
        },
      },
    },
  },
  selectorAndTemplate: {
    type: 'object',
    required: ['selector', 'template'],
    properties: {
      replicas: { type: 'integer', minimum: 0 },
      selector: {
        type: 'object',
        required: ['matchLabels'],
        properties: { matchLabels: { type: 'object', minProperties: 1 } },
      },
      template: {
        allOf: [
          { $ref: '#/definitions/podTemplate' },
          { required: ['metadata'], properties: { metadata: { required: ['labels'] } } },
        ],
      },
    },
  },
};

function kindSchema(spec: object | undefined, apiVersion: string) {
  return {
    definitions,
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', ...(spec !== undefined ? ['spec'] : [])],
    properties: {
      apiVersion: { const: apiVersion },
      metadata: { $ref: '#/definitions/metadata' },
      ...(spec ? { spec } : {}),
    },
  };
}

const schemas: Record<string, object> = {
  Namespace: kindSchema(undefined, 'v1'),
  ServiceAccount: kindSchema(undefined, 'v1'),
  Service: kindSchema(
    {
      type: 'object',
      required: ['selector', 'ports'],
      properties: {
        selector: { type: 'object', minProperties: 1 },
        ports: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['port'],
            properties: {
              port: { type: 'integer', minimum: 1, maximum: 65535 },
              targetPort: { type: ['integer', 'string'] },
            },
          },
        },
      },
    },
    'v1',
  ),
  Deployment: kindSchema({ $ref: '#/definitions/selectorAndTemplate' }, 'apps/v1'),
  StatefulSet: kindSchema(
    { allOf: [{ $ref: '#/definitions/selectorAndTemplate' }, { required: ['serviceName'] }] },
    'apps/v1',
  ),
  RayCluster: kindSchema({ $ref: '#/definitions/rayClusterSpec' }, 'ray.io/v1'),
  RayJob: kindSchema(
    {
      type: 'object',
      properties: {
        entrypoint: { type: 'string', minLength: 1 },
        runtimeEnvYAML: { type: 'string' },
        shutdownAfterJobFinishes: { type: 'boolean' },
        ttlSecondsAfterFinished: { type: 'integer', minimum: 0 },
        metadata: { type: 'object', additionalProperties: { type: 'string' } },
        submissionMode: { enum: ['K8sJobMode', 'HTTPMode', 'InteractiveMode', 'SidecarMode'] },
        rayClusterSpec: { $ref: '#/definitions/rayClusterSpec' },
        clusterSelector: { type: 'object', required: ['ray.io/cluster'] },
      },
      oneOf: [{ required: ['rayClusterSpec'] }, { required: ['clusterSelector'] }],
    },
    'ray.io/v1',
  ),
};

interface Manifest {
  file: string;
  doc: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
    spec?: Record<string, unknown>;
  } & Record<string, unknown>;
}

function loadManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of readdirSync(k8sDir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort()) {
    for (const document of parseAllDocuments(readFileSync(path.join(k8sDir, file), 'utf8'))) {
      expect(document.errors, `${file}: ${document.errors.map((e) => e.message).join('; ')}`).toEqual([]);
      const doc = document.toJS() as Manifest['doc'] | null;
      if (doc !== null) manifests.push({ file, doc });
    }
  }
  return manifests;
}

type Pod = {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Array<Record<string, unknown>> };
};

function podTemplates(manifest: Manifest): Pod[] {
  const spec = manifest.doc.spec as Record<string, unknown> | undefined;
  if (spec === undefined) return [];
  const clusterSpecs = [manifest.doc.kind === 'RayCluster' ? spec : undefined, spec.rayClusterSpec].filter(
    (s): s is { headGroupSpec: { template: Pod }; workerGroupSpecs?: Array<{ template: Pod }> } =>
      s !== undefined,
  );
  if (clusterSpecs.length > 0) {
    return clusterSpecs.flatMap((c) => [
      c.headGroupSpec.template,
      ...(c.workerGroupSpecs ?? []).map((g) => g.template),
    ]);
  }
  return spec.template !== undefined ? [spec.template as Pod] : [];
}

const manifests = loadManifests();
const ajv = new Ajv({ allErrors: true, strict: false });

describe('k8s manifests (offline)', () => {
  it('has the pieces the docs promise', () => {
    const kinds = manifests.map((m) => `${m.doc.kind}/${m.doc.metadata?.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'RayCluster/judgeflow',
        'RayJob/qa-eval',
        'Deployment/mlflow',
        'Service/mlflow',
        'StatefulSet/mlflow-postgres',
        'Deployment/vllm-judge',
        'Service/vllm-judge',
      ]),
    );
  });

  it.each(manifests.map((m) => [`${m.file}: ${m.doc.kind}/${m.doc.metadata?.name}`, m] as const))(
    '%s matches its schema',
    (_label, manifest) => {
      const schema = schemas[manifest.doc.kind];
      expect(schema, `no schema for kind ${manifest.doc.kind}`).toBeDefined();
      const validate = ajv.compile(schema as object);
      const valid = validate(manifest.doc);
      expect(valid, formatErrors(validate.errors)).toBe(true);
    },
  );

  it('keeps worker group replicas within min/max and rayStartParams as strings', () => {
    for (const manifest of manifests) {
      const spec = manifest.doc.spec as Record<string, unknown> | undefined;
      const cluster = (manifest.doc.kind === 'RayCluster' ? spec : spec?.rayClusterSpec) as
        | { workerGroupSpecs?: Array<{ minReplicas: number; maxReplicas: number; replicas?: number }> }
        | undefined;
      for (const group of cluster?.workerGroupSpecs ?? []) {
        expect(group.minReplicas).toBeLessThanOrEqual(group.maxReplicas);
        if (group.replicas !== undefined) {
          expect(group.replicas).toBeGreaterThanOrEqual(group.minReplicas);
          expect(group.replicas).toBeLessThanOrEqual(group.maxReplicas);
        }
      }
    }
  });

  it('pins the Ray version everywhere to the bridge pin and the worker image base', () => {
    const pin = /ray\[default\]==([0-9.]+)/.exec(
      readFileSync(path.join(repo, 'python/requirements/ray.txt'), 'utf8'),
    )?.[1];
    expect(pin).toBeDefined();
    const dockerfile = readFileSync(path.join(repo, 'docker/Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`rayproject/ray:${pin}-py311`);
    for (const manifest of manifests) {
      const spec = manifest.doc.spec as Record<string, unknown> | undefined;
      const cluster = (manifest.doc.kind === 'RayCluster' ? spec : spec?.rayClusterSpec) as
        | { rayVersion?: string }
        | undefined;
      if (cluster !== undefined) expect(cluster.rayVersion, `${manifest.file}`).toBe(pin);
    }
  });

  it('every Service selects the pods of a Deployment or StatefulSet, on a port they declare', () => {
    for (const service of manifests.filter((m) => m.doc.kind === 'Service')) {
      const spec = service.doc.spec as {
        selector: Record<string, string>;
        ports: Array<{ targetPort?: string | number; port: number }>;
      };
      const targets = manifests
        .filter((m) => m.doc.kind === 'Deployment' || m.doc.kind === 'StatefulSet')
        .flatMap((m) => podTemplates(m))
        .filter((pod) => Object.entries(spec.selector).every(([k, v]) => pod.metadata?.labels?.[k] === v));
      expect(targets.length, `Service ${service.doc.metadata.name} selects no pods`).toBeGreaterThan(0);
      const declared = targets.flatMap((pod) =>
        pod.spec.containers.flatMap(
          (c) => (c.ports as Array<{ name?: string; containerPort: number }> | undefined) ?? [],
        ),
      );
      for (const port of spec.ports) {
        const target = port.targetPort ?? port.port;
        expect(
          declared.some((p) => p.name === target || p.containerPort === target),
          `Service ${service.doc.metadata.name} targets ${target}`,
        ).toBe(true);
      }
    }
  });

  it('Deployments and StatefulSets select their own pod template labels', () => {
    for (const manifest of manifests.filter(
      (m) => m.doc.kind === 'Deployment' || m.doc.kind === 'StatefulSet',
    )) {
      const spec = manifest.doc.spec as { selector: { matchLabels: Record<string, string> }; template: Pod };
      for (const [key, value] of Object.entries(spec.selector.matchLabels)) {
        expect(spec.template.metadata?.labels?.[key]).toBe(value);
      }
    }
  });

  it('Ray pods reach MLflow through its Service and take secrets from a Secret, never inline', () => {
    const mlflowService = manifests.find(
      (m) => m.doc.kind === 'Service' && m.doc.metadata.name === 'mlflow',
    )!;
    const port = (mlflowService.doc.spec as { ports: Array<{ port: number }> }).ports[0]!.port;
    const expected = `http://mlflow.${mlflowService.doc.metadata.namespace}.svc:${port}`;
    for (const manifest of manifests.filter((m) => m.doc.kind === 'RayCluster' || m.doc.kind === 'RayJob')) {
      for (const pod of podTemplates(manifest)) {
        for (const container of pod.spec.containers) {
          const env = (container.env as Array<{ name: string; value?: string }> | undefined) ?? [];
          expect(env.find((e) => e.name === 'MLFLOW_TRACKING_URI')?.value).toBe(expected);
          for (const entry of env) expect(entry.name).not.toMatch(/KEY|TOKEN|SECRET|PASSWORD/);
          expect(container.envFrom).toEqual([{ secretRef: { name: 'judgeflow-secrets', optional: true } }]);
        }
      }
    }
  });

  it("RayJob's runtimeEnvYAML is YAML with a remote working_dir zip", () => {
    for (const job of manifests.filter((m) => m.doc.kind === 'RayJob')) {
      const runtimeEnv = parseYaml((job.doc.spec as { runtimeEnvYAML: string }).runtimeEnvYAML) as {
        working_dir: string;
      };
      expect(runtimeEnv.working_dir).toMatch(/^(s3|gs|https):\/\/.+\.zip$/);
      expect((job.doc.spec as { entrypoint: string }).entrypoint).toMatch(/^judgeflow run .* --executor ray/);
    }
  });

  it('the vLLM judge serves with structured outputs and an API key from a Secret', () => {
    const deployment = manifests.find(
      (m) => m.doc.kind === 'Deployment' && m.doc.metadata.name === 'vllm-judge',
    )!;
    const container = podTemplates(deployment)[0]!.spec.containers[0]!;
    expect(container.args).toEqual(expect.arrayContaining(['--structured-outputs-config.backend=xgrammar']));
    const env = container.env as Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
    expect(env.find((e) => e.name === 'VLLM_API_KEY')?.valueFrom?.secretKeyRef?.name).toBe('vllm-judge');
    const limits = (container.resources as { limits: Record<string, string> }).limits;
    expect(limits['nvidia.com/gpu']).toBe('1');
  });

  it('kustomization lists existing files', () => {
    const kustomization = parseYaml(readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    for (const resource of kustomization.resources) expect(readdirSync(k8sDir)).toContain(resource);
  });

  it('the schemas reject what KubeRay rejects (a worker group without maxReplicas, a pod without containers)', () => {
    type Cluster = {
      spec: { workerGroupSpecs: Array<{ maxReplicas?: number }>; headGroupSpec: { template: Pod } };
    };
    const cluster = structuredClone(
      manifests.find((m) => m.doc.kind === 'RayCluster')!.doc,
    ) as unknown as Cluster;
    delete cluster.spec.workerGroupSpecs[0]!.maxReplicas;
    expect(ajv.compile(schemas.RayCluster as object)(cluster)).toBe(false);
    const noContainers = structuredClone(
      manifests.find((m) => m.doc.kind === 'RayCluster')!.doc,
    ) as unknown as Cluster;
    noContainers.spec.headGroupSpec.template.spec.containers = [];
    expect(ajv.compile(schemas.RayCluster as object)(noContainers)).toBe(false);
    const job = structuredClone(manifests.find((m) => m.doc.kind === 'RayJob')!.doc) as {
      spec: { rayClusterSpec?: unknown };
    };
    delete job.spec.rayClusterSpec;
    expect(ajv.compile(schemas.RayJob as object)(job)).toBe(false);
  });
});

function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
}
