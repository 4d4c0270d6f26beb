import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { type IgnoreRule, isIgnored, parseIgnoreFile } from './gitignore.js';
import { writeZip, type ZipEntry } from './zip.js';

/** Ray's dashboard accepts request bodies up to 100 MiB (`DASHBOARD_CLIENT_MAX_SIZE`). */
export const MAX_PACKAGE_BYTES = 100 * 1024 * 1024;

/** Never shipped: VCS data, dependencies, judgeflow's own data folder and run outputs. */
export const ALWAYS_EXCLUDED = [
  '.git',
  'node_modules',
  '.judgeflow',
  'judgeflow-runs',
  '__pycache__',
  '.venv',
];

export interface PackagedDirectory {
  /** `_ray_pkg_<hex>.zip`: the hex is derived from the content, so a name never means two contents. */
  name: string;
  zip: Buffer;
  /** Relative paths of the files in the package, sorted. */
  files: string[];
  /** Sum of the files' sizes before compression. */
  rawBytes: number;
}

/**
 * Zips a folder for Ray's `working_dir`: entries relative to the folder (no top-level folder), empty
 * directories kept, `.gitignore` and `.rayignore` files respected at every level (as Ray does), the
 * size checked against the dashboard's upload limit before anything is sent.
 */
export async function packageDirectory(
  root: string,
  options: { maxBytes?: number; excludes?: string[] } = {},
): Promise<PackagedDirectory> {
  const maxBytes = options.maxBytes ?? MAX_PACKAGE_BYTES;
  const rootRules = parseIgnoreFile([...ALWAYS_EXCLUDED, ...(options.excludes ?? [])].join('\n'), '');
  const entries: Array<{
    relative: string;
    absolute: string;
    kind: 'file' | 'directory';
    size: number;
    mode: number;
  }> = [];
  let rawBytes = 0;

  const walk = async (relativeDir: string, inherited: IgnoreRule[]): Promise<void> => {
    const absoluteDir = path.join(root, relativeDir);
    const rules = [...inherited];
    for (const ignoreFile of ['.gitignore', '.rayignore']) {
      const text = await readFile(path.join(absoluteDir, ignoreFile), 'utf8').catch(() => undefined);
      if (text !== undefined) rules.push(...parseIgnoreFile(text, relativeDir));
    }
    let children: Dirent[];
    try {
      children = await readdir(absoluteDir, { withFileTypes: true });
    } catch (error) {
      throw new ConfigError(`cannot read ${absoluteDir} while packaging: ${(error as Error).message}`, {
        cause: error,
      });
    }
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const relative = relativeDir === '' ? child.name : `${relativeDir}/${child.name}`;
      const absolute = path.join(root, relative);
      // Symlinks are followed for files; linked folders are skipped (they could loop or leave the root).
      const info = await stat(absolute).catch(() => undefined);
      if (info === undefined) continue;
      const isDirectory = info.isDirectory();
      if (isDirectory && child.isSymbolicLink()) continue;
      if (!isDirectory && !info.isFile()) continue;
      if (isIgnored(rules, relative, isDirectory)) continue;
      if (isDirectory) {
        entries.push({ relative, absolute, kind: 'directory', size: 0, mode: info.mode });
        await walk(relative, rules);
      } else {
        rawBytes += info.size;
        entries.push({ relative, absolute, kind: 'file', size: info.size, mode: info.mode });
        if (rawBytes > maxBytes) throw tooLarge(root, entries, maxBytes);
      }
    }
  };
  await walk('', rootRules);

  const hash = createHash('sha256');
  const zipEntries: ZipEntry[] = [];
  for (const entry of entries) {
    if (entry.kind === 'directory') {
      hash.update(`d\0${entry.relative}\n`);
      zipEntries.push({ kind: 'directory', name: `${entry.relative}/`, mode: entry.mode });
    } else {
      const data = await readFile(entry.absolute);
      hash.update(`f\0${entry.relative}\0${createHash('sha256').update(data).digest('hex')}\n`);
      zipEntries.push({ kind: 'file', name: entry.relative, data, mode: entry.mode });
    }
  }
  const zip = writeZip(zipEntries);
  if (zip.length > maxBytes) throw tooLarge(root, entries, maxBytes);
  return {
    name: `_ray_pkg_${hash.digest('hex').slice(0, 32)}.zip`,
    zip,
    files: entries.filter((e) => e.kind === 'file').map((e) => e.relative),
    rawBytes,
  };
}

function tooLarge(
  root: string,
  entries: Array<{ relative: string; size: number }>,
  maxBytes: number,
): ConfigError {
  const biggest = [...entries]
    .sort((a, b) => b.size - a.size)
    .slice(0, 5)
    .map((e) => `${e.relative} (${mebibytes(e.size)})`)
    .join(', ');
  return new ConfigError(
    `${root} is too large to submit (limit ${mebibytes(maxBytes)}, Ray's upload limit); largest files: ${biggest}. ` +
      'Exclude files with .gitignore/.rayignore, or keep big datasets in MLflow or object storage',
    { field: 'working_dir' },
  );
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
