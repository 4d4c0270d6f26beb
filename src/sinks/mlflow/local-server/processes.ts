import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** The loopback address every local server judgeflow starts listens on. */
export const localHost = '127.0.0.1';

/**
 * Starts `command` detached in its own process group (so stopping it takes its workers along), stdout
 * and stderr appended to `logFile`, with exactly `env` as its environment.
 */
export function spawnDetached(options: {
  command: string;
  args: readonly string[];
  logFile: string;
  env: Readonly<Record<string, string>>;
  cwd?: string;
}): ChildProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    return spawn(options.command, [...options.args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...options.env },
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
  } finally {
    closeSync(fd);
  }
}

/** True when nothing listens on host:port (we could bind it). */
export async function portIsFree(port: number, host: string = localHost): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel handed out a moment ago on loopback (free now; a race is handled by retrying). */
export async function ephemeralPort(host: string = localHost): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port from the kernel'))));
    });
  });
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The process lives and (on Linux) its command line contains `needle` — a pid recorded earlier may
 * have been recycled by an unrelated program, which must never be taken for our server (or killed).
 */
export function processAlive(pid: number, needle: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  try {
    const text = readFileSync(cmdline, 'utf8');
    // A zombie has an empty command line: it is gone for our purposes.
    return text.length > 0 && text.includes(needle);
  } catch {
    return false;
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the group, then SIGKILL if it has not gone after `timeoutMs`. */
export async function stopProcessGroup(pid: number, timeoutMs = 15_000): Promise<void> {
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await sleep(200);
  }
  killGroup(pid, 'SIGKILL');
}

/**
 * Every live descendant of `pid` (and `pid` itself), from /proc. PostgreSQL's children start process
 * groups of their own, so a group does not cover them; the parent links do.
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentPid(Number(entry));
    if (parent === undefined) continue;
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

function parentPid(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a program to completion, never rejecting: its exit code and output. */
export function run(
  command: string,
  args: readonly string[],
  options: { env: Record<string, string>; timeoutMs: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr) || (error !== null && code === -1 ? error.message : ''),
        });
      },
    );
  });
}

/** The last `lines` lines of a text. */
export function tailOf(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
