import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requirePythonEnv, venvBin } from '../../../src/setup/python-env.js';
import { freePort } from '../../helpers/free-port.js';

export interface RayHead {
  /** 127.0.0.1:PORT — the GCS address (`ray.init(address=...)`, RAY_ADDRESS). */
  address: string;
  /** http://127.0.0.1:PORT — the dashboard and its Jobs API. */
  dashboardUrl: string;
  /** The venv python that has `ray` (for the bridge: JUDGEFLOW_RAY_PYTHON). */
  python: string;
  stop: () => Promise<void>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Starts a real, small Ray head on free loopback ports with its own short temp dir (Unix socket paths
 * are limited to ~107 bytes). `ray start --block` keeps the head's processes children of one process,
 * so stopping is scoped to this head: SIGTERM to that process (Ray drains and stops its children), then
 * SIGKILL for anything still running from this head's temp dir. (`ray stop --force` would kill every
 * Ray process on the machine, other people's included.)
 */
export async function startRayHead(
  options: {
    home?: string;
    /** Extra environment of the head, which its Ray workers (and the judgeflow Node workers) inherit. */
    env?: Record<string, string>;
  } = {},
): Promise<RayHead> {
  const home = options.home ?? process.env.JUDGEFLOW_HOME ?? path.join(repoRoot, '.judgeflow');
  const python = await requirePythonEnv(home, 'ray');
  const ray = venvBin(home, 'ray', 'ray');
  const tempDir = mkdtempSync('/tmp/jfr-');
  const [gcsPort, dashboardPort, clientPort, agentPort, metricsPort] = await distinctFreePorts(5);
  const args = [
    'start',
    '--head',
    '--block',
    '--node-ip-address=127.0.0.1',
    `--port=${gcsPort}`,
    '--num-cpus=2',
    '--num-gpus=0',
    '--object-store-memory=268435456',
    '--include-dashboard=true',
    '--dashboard-host=127.0.0.1',
    `--dashboard-port=${dashboardPort}`,
    `--ray-client-server-port=${clientPort}`,
    `--dashboard-agent-listen-port=${agentPort}`,
    `--metrics-export-port=${metricsPort}`,
    '--disable-usage-stats',
    `--temp-dir=${tempDir}`,
  ];
  const log: string[] = [];
  const child = spawn(ray, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Auth off explicitly: a token left in ~/.ray/auth_token by any ray.init() on this machine would
    // otherwise turn token auth on for this head, and its dashboard would answer 401 to the health check.
    env: { ...process.env, ...options.env, RAY_USAGE_STATS_ENABLED: '0', RAY_AUTH_MODE: 'disabled' },
  });
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 200) log.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const address = `127.0.0.1:${gcsPort}`;
  const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  const stop = () => stopHead(child, tempDir);
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`ray start exited early:\n${log.join('').slice(-3000)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the Ray dashboard did not answer within 180s:\n${log.join('').slice(-3000)}`);
    }
    if ((await httpStatus(`${dashboardUrl}/api/version`)) === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { address, dashboardUrl, python, stop };
}

/** GET without keep-alive (no pooled socket outlives the head); 0 when nothing answers. */
function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function stopHead(child: ChildProcess, tempDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 45_000)))]);
    clearTimeout(timer);
  }
  // Anything left that belongs to this head (its temp dir is in every command line): by pid.
  for (const pid of processesMentioning(tempDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  rmSync(tempDir, { recursive: true, force: true });
}

function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}
