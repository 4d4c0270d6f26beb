import { readFileSync, statSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { InfrastructureError } from '../../../core/errors.js';
import { sleep } from './processes.js';
import type { ServerFolder } from './store.js';

/**
 * Runs `fn` while holding `<folder>/up.lock`, so two judgeflow processes that find no server at the
 * same moment (two runs started together) do not both start one on the same data folder. A lock whose
 * holder has died is taken over.
 */
export async function withStartLock<T>(
  folder: ServerFolder,
  fn: () => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  await mkdir(folder.dir, { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (;;) {
    try {
      const handle = await open(folder.lock, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolder(folder.lock);
    // No pid yet: its holder is between creating the file and writing it, unless that was long ago.
    if (holder === undefined ? lockAgeMs(folder.lock) > 10_000 : !alive(holder)) {
      await rm(folder.lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new InfrastructureError(
        `judgeflow process ${holder ?? '?'} has been starting the local MLflow server for too long (lock ${folder.lock}); stop it or remove the lock file`,
        { component: 'mlflow' },
      );
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await rm(folder.lock, { force: true });
  }
}

function lockAgeMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function lockHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
