import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Feedback } from '../../core/feedback.js';
import { emptyUsage } from '../../core/usage.js';
import { codeExecution } from './code-execution.js';
import { resolveInterpreter } from './runtimes.js';
import { runInSandbox, type SandboxLimits, SandboxUnavailableError } from './sandbox.js';
import { runtimeMounts, sandboxSetupScript, shellQuote } from './sandbox-script.js';

// Escape attempts: each hostile program passes only if its escape worked, so "contained" shows as a
// failed feedback; the host side then checks that nothing got out (no connection, no file, no
// process, no secret). Everything hostile runs in the sandbox only.

const limits: SandboxLimits = {
  timeoutSeconds: 10,
  cpuSeconds: 10,
  memoryBytes: 512 * 2 ** 20,
  outputBytes: 64 * 1024,
  processes: 64,
  diskBytes: 16 * 2 ** 20,
};

async function runPython(code: string, options: Record<string, unknown> = {}): Promise<Feedback> {
  const scorer = codeExecution({ timeout_s: 10, max_parallel: 2, memory_mb: 512, ...options });
  return (await scorer.score({
    inputs: {},
    outputs: code,
    expectations: { test: '' },
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  })) as Feedback;
}

/** Host processes whose command line holds `marker`. */
async function processesWith(marker: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) count += 1;
  }
  return count;
}

// The sandbox's host folders go to a temp folder of this file's own, so that "removed after" and
// "other sandboxes' folders are hidden" can be checked without seeing other test files' runs.
let privateTemp: string;
let savedTmpdir: string | undefined;
beforeAll(async () => {
  privateTemp = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-sandbox-test-'));
  // Enterable by others, so that only the sandbox's mounts keep its contents out of sight.
  await chmod(privateTemp, 0o755);
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = privateTemp;
});
afterAll(async () => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  await rm(privateTemp, { recursive: true, force: true });
});

describe('sandbox: escape attempts are contained and reported as failures', () => {
  it('network: no connection to the host loopback or the outside, no DNS', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const feedback = await runPython(
        [
          'import socket',
          'reached = []',
          `for address in [("127.0.0.1", ${port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:`,
          '    try:',
          '        socket.create_connection(address, timeout=2).close()',
          '        reached.append(address)',
          '    except OSError as error:',
          '        print("blocked", address, error)',
          'try:',
          '    socket.getaddrinfo("pypi.org", 443)',
          '    reached.append("dns")',
          'except OSError as error:',
          '    print("no dns", error)',
          'assert reached, "no network"',
        ].join('\n'),
      );
      expect(feedback.value).toBe(false);
      expect(feedback.rationale).toContain('AssertionError: no network');
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });

  it('fork bomb: ends at the process limit, and no process outlives the run', async () => {
    const marker = `31${randomBytes(4).readUInt32BE(0)}`;
    const feedback = await runPython(
      [
        'import os',
        'children = 0',
        'while True:',
        '    pid = os.fork()',
        '    if pid == 0:',
        `        os.execv("/bin/sleep", ["sleep", "${marker}"])`,
        '    children += 1',
      ].join('\n'),
      { max_processes: 32 },
    );
    expect(feedback.value).toBe(false);
    expect(feedback.rationale).toMatch(/BlockingIOError|Resource temporarily unavailable/);
    expect(await processesWith(marker)).toBe(0);

    const classic = await runPython('import os\nwhile True:\n    os.fork()', {
      max_processes: 32,
      timeout_s: 5,
    });
    expect(classic.value).toBe(false);
  });

  it('a daemon that leaves the process group and session is killed with the run', async () => {
    const marker = `41${randomBytes(4).readUInt32BE(0)}`;
    const feedback = await runPython(
      [
        'import os',
        'if os.fork() == 0:',
        '    os.setsid()',
        '    if os.fork() == 0:',
        `        os.execv("/bin/sleep", ["sleep", "${marker}"])`,
        '    os._exit(0)',
        'os.wait()',
      ].join('\n'),
    );
    // The program itself ran to completion (it is not hostile to its tests), but its daemon is gone.
    expect(feedback.value).toBe(true);
    expect(await processesWith(marker)).toBe(0);
  });

  it('memory bomb: stops at the address-space limit', async () => {
    const feedback = await runPython(
      'blocks = []\nwhile True:\n    blocks.append(bytearray(64 * 1024 * 1024))',
    );
    expect(feedback.value).toBe(false);
    expect(feedback.metadata?.status).toBe('memory_limit');
  });

  it('infinite loop: stopped by the CPU limit, and a sleeping one by the wall clock', async () => {
    const busy = await runPython('while True:\n    pass', { cpu_s: 1, timeout_s: 60 });
    expect(busy.value).toBe(false);
    expect(busy.metadata?.status).toBe('cpu_limit');
    const started = Date.now();
    const sleeping = await runPython('import time\ntime.sleep(60)', { timeout_s: 1.5 });
    expect(sleeping.value).toBe(false);
    expect(sleeping.metadata?.status).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('output flood: stopped at the output limit', async () => {
    const feedback = await runPython('while True:\n    print("x" * 4096)', { max_output_kb: 64 });
    expect(feedback.value).toBe(false);
    expect(feedback.metadata?.status).toBe('output_limit');
  });

  it('writing outside its folder: nothing reaches the host, even a world-writable folder', async () => {
    const id = randomBytes(6).toString('hex');
    const open = path.join(os.tmpdir(), `open-${id}`);
    await mkdir(open);
    await chmod(open, 0o777);
    const targets = [
      path.join(open, 'escaped'),
      `/tmp/judgeflow-escape-${id}`,
      `/var/tmp/judgeflow-escape-${id}`,
      `/dev/shm/judgeflow-escape-${id}`,
      path.join(process.cwd(), `judgeflow-escape-${id}`),
      `/etc/judgeflow-escape-${id}`,
    ];
    const feedback = await runPython(
      [
        `targets = ${JSON.stringify(targets)}`,
        'written = []',
        'for target in targets:',
        '    try:',
        '        with open(target, "w") as handle:',
        '            handle.write("escaped")',
        '        written.append(target)',
        '    except OSError as error:',
        '        print("refused", target, error)',
        'assert len(written) == len(targets), f"wrote only {written}"',
      ].join('\n'),
    );
    expect(feedback.value).toBe(false);
    for (const target of targets) await expect(stat(target)).rejects.toThrow(/ENOENT/);
    await rm(open, { recursive: true, force: true });
  });

  it("reading the parent's environment: a secret planted here is nowhere in the sandbox", async () => {
    const secret = `sk-planted-${randomBytes(12).toString('hex')}`;
    process.env.JUDGEFLOW_PLANTED_SECRET = secret;
    try {
      const feedback = await runPython(
        [
          'import os',
          'found = [v for v in os.environ.values() if "sk-planted-" in v]',
          'for pid in os.listdir("/proc"):',
          '    for name in ("environ", "cmdline"):',
          '        try:',
          '            with open(f"/proc/{pid}/{name}", "rb") as handle:',
          '                data = handle.read().decode(errors="replace")',
          '            if "sk-planted-" in data:',
          '                found.append(data)',
          '        except OSError:',
          '            pass',
          'print("environment:", sorted(os.environ))',
          'assert found, "no secret"',
        ].join('\n'),
      );
      expect(feedback.value).toBe(false);
      expect(feedback.rationale).toContain('AssertionError: no secret');
      expect(JSON.stringify(feedback)).not.toContain(secret);
    } finally {
      delete process.env.JUDGEFLOW_PLANTED_SECRET;
    }
  });

  it("cannot see other processes, root's home or other sandboxes' folders", async () => {
    await writeFile(path.join(privateTemp, 'other-sandbox-file'), 'private');
    const feedback = await runPython(
      [
        'import os',
        'pids = [p for p in os.listdir("/proc") if p.isdigit()]',
        'print("pids", pids, "uid", os.getuid(), "home", os.listdir("/root") if os.path.isdir("/root") else None)',
        `assert os.path.exists(${JSON.stringify(path.join(privateTemp, 'other-sandbox-file'))}), "hidden"`,
      ].join('\n'),
    );
    expect(feedback.value).toBe(false);
    expect(feedback.rationale).toContain('AssertionError: hidden');
  });
});

describe('runInSandbox', () => {
  it('runs in its own folder (cwd, HOME, TMPDIR) with a minimal environment, and removes it after', async () => {
    const python = await resolveInterpreter('python3', 'python');
    const result = await runInSandbox({
      files: {
        'main.py':
          'import os, sys\nprint(os.getcwd(), os.environ["HOME"], os.environ["TMPDIR"], os.getuid() != 0, sys.stdin.read())\nprint(sorted(os.environ))',
      },
      argv: [python.executable, '-I', 'main.py'],
      runtimeDirectories: python.directories,
      stdin: 'from stdin',
      limits,
    });
    expect(result.outcome).toBe('exited');
    expect(result.exitCode).toBe(0);
    const [first, second] = result.stdout.trim().split('\n');
    expect(first).toBe('/tmp /tmp /tmp True from stdin');
    expect(JSON.parse(second!.replaceAll("'", '"'))).toEqual([
      'HOME',
      'LANG',
      'LC_ALL',
      'OLDPWD',
      'PATH',
      'PWD',
      'TMPDIR',
    ]);
    expect((await readdir(privateTemp)).filter((name) => name.startsWith('judgeflow-sandbox-'))).toEqual([]);
  });

  it('fails closed: no unshare, or unshare refused, means nothing runs', async () => {
    const witness = path.join(privateTemp, `ran-${randomBytes(4).toString('hex')}`);
    const request = {
      files: { 'main.sh': `touch ${shellQuote(witness)}` },
      argv: ['/bin/sh', 'main.sh'] as [string, string],
      limits,
    };
    await expect(runInSandbox({ ...request, unshare: '/nonexistent/unshare' })).rejects.toThrow(
      SandboxUnavailableError,
    );
    const refusing = path.join(privateTemp, 'refusing-unshare');
    await writeFile(
      refusing,
      '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    const error = await runInSandbox({ ...request, unshare: refusing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect((error as Error).message).toMatch(/no generated code was run.*Operation not permitted/s);
    await expect(stat(witness)).rejects.toThrow(/ENOENT/);
  });
});

describe('sandbox setup script', () => {
  it('hides a folder others cannot enter and shows the interpreter under it again', async () => {
    const base = path.join(privateTemp, 'home');
    const prefix = path.join(base, 'versions', '3.x');
    await mkdir(prefix, { recursive: true });
    await chmod(base, 0o700);
    expect(await runtimeMounts([prefix, '/usr'])).toEqual({ hide: [base], show: [prefix] });
    const script = sandboxSetupScript({
      hostDirectory: "/tmp/it's here",
      hostTemp: '/tmp',
      uid: 1_234_567_890,
      argv: ['/usr/bin/python3', 'a b.py'],
      runtimeMounts: { hide: [base], show: [prefix] },
      limits,
      setupFailedExit: 125,
    });
    expect(script).toContain(`cd '/tmp/it'\\''s here'`);
    expect(script).toContain(`--cpu=10:11 --as=${512 * 2 ** 20} --nproc=64 --fsize=${16 * 2 ** 20}`);
    expect(script).toContain(`-- '/usr/bin/python3' 'a b.py'`);
    expect(script.indexOf(`mount --bind '${prefix}'`)).toBeLessThan(
      script.indexOf(`judgeflow-hidden '${base}'`),
    );
  });
});
