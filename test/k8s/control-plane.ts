/**
 * A real Kubernetes control plane for validating manifests, started from the binaries that
 * scripts/k8s-tools.sh builds: etcd, kube-apiserver (RBAC, token auth, no ServiceAccount admission so
 * pods need no token controller) and, on demand, the KubeRay operator. No nodes, no scheduler, no
 * controller-manager: objects are stored and reconciled, pods stay Pending. Everything listens on free
 * loopback ports and lives in one temporary folder, removed by stop().
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where scripts/k8s-tools.sh put the binaries (one folder per tool and version). */
export interface Tools {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  rayOperator: string;
  /** KubeRay's CRDs (RayCluster, RayJob, RayService). */
  crdDir: string;
  /** The Prometheus Operator's CRDs (PodMonitor, ServiceMonitor, PrometheusRule). */
  monitoringCrdDir: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  kubeconfig: string;
  /** Runs kubectl against the API server; never throws on a non-zero exit (the result says). */
  kubectl(args: string[], options?: { input?: string }): Promise<KubectlResult>;
  /** Starts the KubeRay operator (all namespaces, no leader election); its log goes to `logFile`. */
  startOperator(): Promise<void>;
  readonly logDir: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function startProcess(file: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const log = createWriteStream(logFile);
  const child = spawn(file, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function waitFor(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  died?: () => string | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = died?.();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Why a child is gone, with the end of its log (the folder is removed when the start fails). */
function exitReason(child: ChildProcess, logFile: string): string | undefined {
  if (child.exitCode === null && child.signalCode === null) return undefined;
  const tail = existsSync(logFile)
    ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n  ')
    : '';
  return `exited (${child.exitCode ?? child.signalCode}); the end of ${path.basename(logFile)}:\n  ${tail}`;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Starts etcd and kube-apiserver and waits for /readyz; stop() ends them and removes their folder. */
export async function startControlPlane(tools: Tools): Promise<ControlPlane> {
  const dir = mkdtempSync(path.join(tmpdir(), 'judgeflow-k8s-'));
  const children: ChildProcess[] = [];
  let operator: ChildProcess | undefined;
  const stop = async () => {
    await stopProcess(operator);
    for (const child of children.reverse()) await stopProcess(child);
    if (process.env.JUDGEFLOW_K8S_KEEP_LOGS !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcdLog = path.join(dir, 'etcd.log');
    const etcd = startProcess(
      tools.etcd,
      [
        '--name=validator',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=validator=${peerUrl}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      etcdLog,
    );
    children.push(etcd);
    await waitFor(
      'etcd',
      30_000,
      async () => (await fetch(`${etcdUrl}/health`)).ok,
      () => exitReason(etcd, etcdLog),
    );

    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signingKey = path.join(dir, 'sa.key');
    const verifyKey = path.join(dir, 'sa.pub');
    writeFileSync(signingKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(verifyKey, publicKey.export({ type: 'spki', format: 'pem' }));
    const token = randomBytes(24).toString('hex');
    const tokenFile = path.join(dir, 'tokens.csv');
    writeFileSync(tokenFile, `${token},validator-admin,validator-admin,"system:masters"\n`);
    const apiLog = path.join(dir, 'kube-apiserver.log');
    const apiserver = startProcess(
      tools.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${path.join(dir, 'certs')}`,
        `--service-account-key-file=${verifyKey}`,
        `--service-account-signing-key-file=${signingKey}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        '--disable-admission-plugins=ServiceAccount',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--endpoint-reconciler-type=none',
      ],
      apiLog,
    );
    children.push(apiserver);

    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: validator, cluster: {server: "https://127.0.0.1:' +
          apiPort +
          '", insecure-skip-tls-verify: true}}]',
        `users: [{name: validator-admin, user: {token: "${token}"}}]`,
        'contexts: [{name: validator, context: {cluster: validator, user: validator-admin}}]',
        'current-context: validator',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const kubectl = (args: string[], options?: { input?: string }) =>
      run(tools.kubectl, args, env, options?.input);
    await waitFor(
      'kube-apiserver',
      90_000,
      async () => (await kubectl(['get', '--raw', '/readyz'])).stdout.trim() === 'ok',
      () => exitReason(apiserver, apiLog),
    );

    return {
      kubeconfig,
      kubectl,
      logDir: dir,
      stop,
      async startOperator() {
        const [metrics, probe] = [await freePort(), await freePort()];
        const operatorLog = path.join(dir, 'ray-operator.log');
        operator = startProcess(
          tools.rayOperator,
          [
            '--enable-leader-election=false',
            `--metrics-addr=127.0.0.1:${metrics}`,
            `--health-probe-bind-address=127.0.0.1:${probe}`,
            '--log-stdout-encoder=console',
          ],
          operatorLog,
          env,
        );
        const started = operator;
        await waitFor(
          'KubeRay operator',
          60_000,
          async () => (await fetch(`http://127.0.0.1:${probe}/readyz`)).ok,
          () => exitReason(started, operatorLog),
        );
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
