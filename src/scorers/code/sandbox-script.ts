import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxLimits } from './sandbox.js';

// The shell script the sandbox's init runs inside the new namespaces (as root, until `setpriv`):
// mounts the sandbox's folder and hides what it must not see, then runs the program as an unprivileged
// uid under resource limits. Paths are quoted, never spliced raw: they come from this process (temp
// folder, interpreter location), but a folder name may hold spaces or quotes all the same.

export interface SetupPlan {
  /** Host folder holding the files to copy in; the script starts there. */
  hostDirectory: string;
  /** The host's temp folder, hidden when it is not /tmp (other sandboxes' files live there). */
  hostTemp: string;
  uid: number;
  argv: readonly [string, ...string[]];
  /** Interpreter folders to show read-only; hidden ancestors are worked out by `runtimeMounts`. */
  runtimeMounts: RuntimeMounts;
  limits: SandboxLimits;
  /** Exit code of a failed setup (before the program started). */
  setupFailedExit: number;
}

/** Folders to hide under an empty tmpfs, and folders under them to show again (read-only). */
export interface RuntimeMounts {
  hide: string[];
  show: string[];
}

/**
 * For each folder an interpreter needs: the highest ancestor others may not enter (mode without o+x,
 * like /root) is hidden under an empty tmpfs, and the folder itself is mounted back at its own path,
 * read-only — so the interpreter runs as the sandbox user, with the paths compiled into it, and the
 * rest of that ancestor (root's home) stays out of sight.
 */
export async function runtimeMounts(directories: readonly string[]): Promise<RuntimeMounts> {
  const hide = new Set<string>();
  const show = new Set<string>();
  for (const directory of directories) {
    const absolute = path.resolve(directory);
    const parts = absolute.split(path.sep).filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const ancestor = `/${parts.slice(0, i).join('/')}`;
      const info = await stat(ancestor).catch(() => undefined);
      if (info === undefined) break;
      if ((info.mode & 0o001) === 0) {
        if (ancestor !== absolute) {
          hide.add(ancestor);
          show.add(absolute);
        }
        break;
      }
    }
  }
  // A hidden folder inside another hidden one is already hidden.
  const hidden = [...hide].filter((dir) => ![...hide].some((other) => other !== dir && isInside(dir, other)));
  return { hide: hidden, show: [...show] };
}

function isInside(child: string, parent: string): boolean {
  return child.startsWith(`${parent}/`);
}

/** POSIX shell single-quoting. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The script; `sh -c` runs it as PID 1 of the sandbox's PID namespace. */
export function sandboxSetupScript(plan: SetupPlan): string {
  const q = shellQuote;
  const { uid, limits } = plan;
  const privileges = [
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
  ].join(' ');
  const cpu = Math.max(1, Math.ceil(limits.cpuSeconds));
  const resourceLimits = [
    `--cpu=${cpu}:${cpu + 1}`,
    `--as=${Math.floor(limits.memoryBytes)}`,
    `--nproc=${limits.processes}`,
    `--fsize=${Math.floor(limits.diskBytes)}`,
    '--nofile=256',
    '--core=0',
  ].join(' ');
  const { hide, show } = plan.runtimeMounts;
  const tempDir = path.resolve(plan.hostTemp);
  const hideTemp =
    tempDir !== '/' &&
    tempDir !== '/tmp' &&
    !isInside(tempDir, '/tmp') &&
    !show.some((dir) => isInside(dir, tempDir));
  const executable = plan.argv[0];
  return [
    'set -eu',
    `fail() { echo "judgeflow-sandbox: $1" >&2; exit ${plan.setupFailedExit}; }`,
    // cwd keeps the host folder reachable after /tmp is mounted over.
    `cd ${q(plan.hostDirectory)}`,
    `mount -t tmpfs -o size=${Math.floor(limits.diskBytes)},mode=0700,uid=${uid},gid=${uid} judgeflow-sandbox /tmp || fail 'cannot mount the sandbox folder'`,
    'cp -- ./* /tmp/',
    ...show.flatMap((dir, i) => [
      `mkdir /tmp/.runtime-${i}`,
      `mount --bind ${q(dir)} /tmp/.runtime-${i}`,
      `mount -o remount,bind,ro,nosuid,nodev /tmp/.runtime-${i}`,
    ]),
    ...hide.map((dir) => `mount -t tmpfs -o size=1m,mode=0755 judgeflow-hidden ${q(dir)}`),
    ...(hideTemp ? [`mount -t tmpfs -o size=1m,mode=0755 judgeflow-hidden ${q(tempDir)}`] : []),
    ...show.flatMap((dir, i) => [
      `mkdir -p ${q(dir)}`,
      `mount --move /tmp/.runtime-${i} ${q(dir)}`,
      `rmdir /tmp/.runtime-${i}`,
    ]),
    // Every world-writable folder: the program writes only into its own (size-limited) folder.
    'for d in /var/tmp /dev/shm /dev/mqueue /run/lock; do if [ -d "$d" ]; then mount --bind /tmp "$d"; fi; done',
    'cd /tmp',
    `setpriv ${privileges} -- test -x ${q(executable)} || fail ${q(`${executable} is not executable by the sandbox user`)}`,
    'echo ready >&3',
    'exec 3>&-',
    'set +e',
    `setpriv ${privileges} -- prlimit ${resourceLimits} -- ${plan.argv.map(q).join(' ')}`,
    'exit $?',
  ].join('\n');
}
