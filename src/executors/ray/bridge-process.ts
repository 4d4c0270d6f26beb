import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../core/paths.js';
import { RayExecutorError } from './errors.js';
import { type BridgeOutput, bridgeOutputSchema, encodeLine } from './protocol.js';

export interface BridgeSpawnOptions {
  python: string;
  args: string[];
  /** The child's environment (the driver's, plus PYTHONPATH for the bridge package). */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  onMessage(message: BridgeOutput): void;
  onLog(line: string): void;
  /** Called once when the bridge has exited (or could not start). */
  onExit(outcome: { code: number | null; signal: NodeJS.Signals | null; error?: Error }): void;
}

const STDERR_TAIL = 40;

/** The bridge child process with line-based I/O. */
export class BridgeProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly tail: string[] = [];
  private exited = false;
  private writeFailed: Error | undefined;

  constructor(options: BridgeSpawnOptions) {
    const pythonPath = path.join(packageRoot(), 'python');
    const inherited = options.env.PYTHONPATH;
    // Own process group: the terminal's Ctrl-C reaches the CLI only, which drains and then ends the bridge.
    this.child = spawn(options.python, ['-m', 'judgeflow_ray.bridge', ...options.args], {
      cwd: options.cwd,
      env: {
        ...options.env,
        PYTHONPATH: inherited ? `${pythonPath}${path.delimiter}${inherited}` : pythonPath,
        PYTHONUNBUFFERED: '1',
        // the bridge runs from the package's python/ folder: leave no __pycache__ behind in it
        PYTHONDONTWRITEBYTECODE: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdin.on('error', (error) => {
      // EPIPE when the bridge died; the exit handler reports why.
      this.writeFailed ??= error;
    });
    createInterface({ input: this.child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      if (line.trim() === '') return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        options.onLog(`judgeflow: ignoring a non-protocol line from the Ray bridge: ${line.slice(0, 200)}`);
        return;
      }
      const parsed = bridgeOutputSchema.safeParse(json);
      if (!parsed.success) {
        options.onMessage({
          type: 'fatal',
          code: 'protocol',
          message: `unexpected line from the Ray bridge: ${line.slice(0, 200)} (${parsed.error.issues[0]?.message})`,
        });
        return;
      }
      options.onMessage(parsed.data);
    });
    createInterface({ input: this.child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      this.tail.push(line);
      if (this.tail.length > STDERR_TAIL) this.tail.shift();
      options.onLog(line);
    });
    let reported = false;
    const report = (outcome: { code: number | null; signal: NodeJS.Signals | null; error?: Error }) => {
      if (reported) return;
      reported = true;
      this.exited = true;
      options.onExit(outcome);
    };
    this.child.on('error', (error) => report({ code: null, signal: null, error }));
    // 'close' waits for stdout/stderr to end, so every protocol line is delivered before the exit.
    this.child.on('close', (code, signal) => report({ code, signal }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  stderrTail(): string {
    return this.tail.join('\n');
  }

  /** Writes one message; resolves when the pipe accepted it (backpressure). */
  async send(message: object): Promise<void> {
    if (this.exited || this.writeFailed !== undefined || !this.child.stdin.writable) return;
    if (!this.child.stdin.write(encodeLine(message))) {
      try {
        await Promise.race([once(this.child.stdin, 'drain'), once(this.child, 'close')]);
      } catch (error) {
        // EPIPE while waiting for drain: the bridge is gone, and its exit handler says why.
        this.writeFailed ??= error instanceof Error ? error : new Error(String(error));
      }
    }
  }

  /** Closes the bridge's stdin: before `done`, the bridge treats that as an abort and stops its actors. */
  closeInput(): void {
    if (this.child.stdin.writable) this.child.stdin.end();
  }

  /** Kills the bridge's process group (bridge and anything it spawned locally). */
  kill(signal: NodeJS.Signals): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  error(failure: 'bridge_exit' | 'connect', message: string, cause?: unknown): RayExecutorError {
    const tail = this.stderrTail();
    return new RayExecutorError({
      failure,
      message: tail !== '' ? `${message}; last bridge output:\n${tail}` : message,
      stderrTail: tail,
      ...(cause !== undefined ? { cause } : {}),
    });
  }
}
