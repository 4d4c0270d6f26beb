import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JudgeflowError } from '../../core/errors.js';
import { runtimeMounts, sandboxSetupScript } from './sandbox-script.js';

// Runs untrusted code (a model's completion and its tests) in a throwaway sandbox:
// - `unshare`: new network namespace (only a loopback that is down: no network at all), PID namespace
//   (the program cannot see or signal other processes, and when its init dies the kernel kills every
//   process left in it), mount namespace (its /tmp is a size-limited tmpfs that is its cwd, HOME and
//   TMPDIR; the world-writable folders are bound to it; the host's temp folder is hidden), IPC and UTS.
// - `setpriv`: a fresh unprivileged uid/gid per run (no capabilities, no_new_privs), so it can write
//   nowhere but its own folder, cannot read root's files or /proc/<pid>/environ, and RLIMIT_NPROC
//   counts only its own processes.
// - `prlimit`: CPU time, address space (memory), processes, file size, open files, no core dumps.
// - here: a wall-clock limit and an output limit, both of which kill the whole process group; the
//   minimal environment (no variable of this process reaches it); its host folder removed after.
// Everything runs as a child of `unshare`; nothing is ever run outside it. When the namespaces cannot
// be created (not root, no util-linux) the run fails with a SandboxUnavailableError: fail closed.

/** Resource limits of one sandboxed run. */
export interface SandboxLimits {
  /** Wall-clock seconds; the whole process tree is killed when they pass. */
  timeoutSeconds: number;
  /** CPU seconds (RLIMIT_CPU) of each process. */
  cpuSeconds: number;
  /** Address space of each process, bytes (RLIMIT_AS). */
  memoryBytes: number;
  /** Bytes kept of stdout, and of stderr; more kills the run. */
  outputBytes: number;
  /** Processes and threads of the sandbox's uid (RLIMIT_NPROC). */
  processes: number;
  /** Size of the sandbox's folder (a tmpfs), and of any one file in it (RLIMIT_FSIZE), bytes. */
  diskBytes: number;
}

export interface SandboxRequest {
  /** Files written into the sandbox's folder (its cwd) before the program starts, by relative name. */
  files: Readonly<Record<string, string>>;
  /** The program: an absolute executable path and its arguments; it runs in the sandbox's folder. */
  argv: readonly [string, ...string[]];
  /**
   * Folders the program needs to read (an interpreter's installation) that sit under a folder other
   * users cannot enter (`/root/.pyenv/...`): the sandbox shows them, read-only, and hides the rest.
   */
  runtimeDirectories?: readonly string[];
  /** Variables added to the sandbox's minimal environment. */
  env?: Readonly<Record<string, string>>;
  /** Written to the program's stdin, which then reaches end of file. */
  stdin?: string;
  limits: SandboxLimits;
  /** Kills the run when aborted. */
  signal?: AbortSignal;
  /** The `unshare` executable (default: looked up in the standard system folders). */
  unshare?: string;
}

/** How a sandboxed run ended. */
export type SandboxOutcome =
  | 'exited' // the program ended by itself (exit code or signal)
  | 'timeout' // wall-clock limit
  | 'cpu_limit' // RLIMIT_CPU: SIGXCPU or SIGKILL at the hard limit
  | 'output_limit' // stdout or stderr exceeded the output limit
  | 'file_size_limit' // RLIMIT_FSIZE: SIGXFSZ
  | 'aborted'; // the caller's signal

export interface SandboxResult {
  outcome: SandboxOutcome;
  /** Exit code of the program, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the program (`SIGKILL`, `SIGXCPU`, ...), or null. */
  signal: string | null;
  /** Up to `outputBytes` of stdout, and of stderr (UTF-8, invalid sequences replaced). */
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The sandbox could not be created (no namespaces, no util-linux, a mount failed); nothing ran. */
export class SandboxUnavailableError extends JudgeflowError {
  override readonly name = 'SandboxUnavailableError';
}

/** The environment every sandboxed program starts from: nothing of this process's. */
export const SANDBOX_BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
};

// The tools (util-linux, coreutils) are looked up here, not on the caller's PATH.
const TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SETUP_FAILED_EXIT = 125;
const SIGNAL_EXIT_BASE = 128;
// Uids no account uses: one per run, so concurrent runs neither share RLIMIT_NPROC nor each other's files.
const UID_MIN = 1_000_000_000;
const UID_MAX = 2_000_000_000;

/** Runs one program in a fresh sandbox; throws SandboxUnavailableError when it cannot create one. */
export async function runInSandbox(request: SandboxRequest): Promise<SandboxResult> {
  const hostDirectory = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-sandbox-'));
  try {
    for (const [name, content] of Object.entries(request.files)) {
      if (name.includes('/') || name.startsWith('.'))
        throw new Error(`sandbox file name "${name}" is not plain`);
      await writeFile(path.join(hostDirectory, name), content, { mode: 0o644 });
    }
    const uid = randomInt(UID_MIN, UID_MAX);
    const script = sandboxSetupScript({
      hostDirectory,
      hostTemp: os.tmpdir(),
      uid,
      argv: request.argv,
      runtimeMounts: await runtimeMounts(request.runtimeDirectories ?? []),
      limits: request.limits,
      setupFailedExit: SETUP_FAILED_EXIT,
    });
    return await supervise(script, request);
  } finally {
    await rm(hostDirectory, { recursive: true, force: true });
  }
}

function supervise(script: string, request: SandboxRequest): Promise<SandboxResult> {
  const { limits } = request;
  const started = performance.now();
  return new Promise<SandboxResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(
        request.unshare ?? 'unshare',
        [
          '--net',
          '--pid',
          '--mount',
          '--ipc',
          '--uts',
          '--kill-child',
          '--mount-proc',
          '--',
          '/bin/sh',
          '-c',
          script,
        ],
        {
          // Its own process group, so that one kill reaches every process (see killTree).
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
          env: { ...SANDBOX_BASE_ENV, ...request.env, PATH: TOOL_PATH },
        },
      );
    } catch (error) {
      reject(unavailable(`cannot start unshare: ${(error as Error).message}`, error));
      return;
    }
    let outcome: SandboxOutcome = 'exited';
    let ready = false;
    const stdout = new CappedBuffer(limits.outputBytes);
    const stderr = new CappedBuffer(limits.outputBytes);
    const stop = (why: SandboxOutcome): void => {
      if (outcome === 'exited') outcome = why;
      killTree(child);
    };
    const timer = setTimeout(() => stop('timeout'), Math.max(1, limits.timeoutSeconds * 1000));
    const onAbort = (): void => stop('aborted');
    request.signal?.addEventListener('abort', onAbort, { once: true });
    if (request.signal?.aborted) onAbort();

    child.stdout?.on('data', (chunk: Buffer) => {
      if (!stdout.add(chunk)) stop('output_limit');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!stderr.add(chunk)) stop('output_limit');
    });
    const control = child.stdio[3] as NodeJS.ReadableStream | null;
    control?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) ready = true;
    });
    control?.on('error', () => {});
    child.stdin?.on('error', () => {}); // the program may exit without reading its stdin
    child.stdin?.end(request.stdin ?? '');

    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      const hint = error.code === 'ENOENT' ? ' (util-linux `unshare` is not installed)' : '';
      reject(unavailable(`cannot start unshare${hint}: ${error.message}`, error));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      killTree(child); // whatever may still be alive in the group
      const durationMs = performance.now() - started;
      if (!ready && outcome !== 'aborted') {
        const why =
          outcome === 'timeout'
            ? `its setup did not finish within ${limits.timeoutSeconds} s`
            : `unshare exited ${code ?? signal}: ${stderr.text().trim() || 'no message'}`;
        reject(unavailable(`could not set up the sandbox (${why})`));
        return;
      }
      const ended = programEnd(code, signal);
      if (outcome === 'exited') {
        if (ended.signal === 'SIGXCPU') outcome = 'cpu_limit';
        else if (ended.signal === 'SIGXFSZ') outcome = 'file_size_limit';
      }
      resolve({ outcome, ...ended, stdout: stdout.text(), stderr: stderr.text(), durationMs });
    });
  });
}

/** The program's end as the sandbox's init (`sh`) reports it: 128 + n means signal n. */
function programEnd(
  code: number | null,
  signal: NodeJS.Signals | null,
): { exitCode: number | null; signal: string | null } {
  if (signal !== null) return { exitCode: null, signal };
  if (code !== null && code > SIGNAL_EXIT_BASE && code < SIGNAL_EXIT_BASE + 65) {
    return { exitCode: null, signal: signalName(code - SIGNAL_EXIT_BASE) };
  }
  return { exitCode: code, signal: null };
}

function signalName(number: number): string {
  const entry = Object.entries(os.constants.signals).find(([, value]) => value === number);
  return entry?.[0] ?? `signal ${number}`;
}

/**
 * SIGKILL to the process group: `unshare`, the sandbox's init and, unless they left the group, its
 * processes. Those that left it die with the init: `--kill-child` kills the init when `unshare` dies,
 * and the kernel kills a PID namespace's processes when its init dies.
 */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function unavailable(message: string, cause?: unknown): SandboxUnavailableError {
  return new SandboxUnavailableError(
    `code sandbox unavailable, so no generated code was run: ${message}. The sandbox needs root (or CAP_SYS_ADMIN) and util-linux's unshare, setpriv and prlimit.`,
    cause !== undefined ? { cause } : undefined,
  );
}

/** Keeps the first `limit` bytes; `add` returns false once more than that arrived. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  add(chunk: Buffer): boolean {
    const room = this.limit - this.size;
    if (room > 0) this.chunks.push(chunk.subarray(0, room));
    this.size += chunk.length;
    return this.size <= this.limit;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
