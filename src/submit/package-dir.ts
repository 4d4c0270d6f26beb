import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { isCredentialFile } from './credential-files.js';
import { type IgnoreLayer, ignoreLayer, ignoreLayersIn, isIgnored, parentIgnoreLayers } from './gitignore.js';
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

/** Files at least this big are listed with a warning when nothing in the folder names them. */
export const LARGE_FILE_BYTES = 5 * 1024 * 1024;
/** Text files scanned for references to large files are read up to this size. */
const SCAN_BYTES = 2 * 1024 * 1024;

/** Why a file or folder of the tree was left out of the package (ignore files are not listed). */
export type SkipReason = 'credential' | 'symlink-outside' | 'symlink-folder' | 'not-a-file';

export interface PackagedDirectory {
  /** `_ray_pkg_<hex>.zip`: the hex is derived from the content, so a name never means two contents. */
  name: string;
  zip: Buffer;
  /** Relative paths of the files in the package, sorted. */
  files: string[];
  /** Each shipped file's size in bytes, by relative path. */
  sizes: Record<string, number>;
  /** Sum of the files' sizes before compression. */
  rawBytes: number;
  /** What was left out and why (credential files, symlinks leading out of the folder). */
  skipped: Array<{ path: string; reason: SkipReason }>;
  /** Shipped files of at least `largeFileBytes` whose name no other shipped text file mentions. */
  unreferencedLarge: Array<{ path: string; size: number }>;
}

export interface PackageOptions {
  maxBytes?: number;
  /** Extra patterns to leave out (`.gitignore` syntax, relative to the root). */
  excludes?: string[];
  /**
   * Files to ship although they look like credential files (`.env`, `*.pem`, `id_*`, ...) or an ignore
   * file excludes them: paths relative to the root (`judgeflow submit --include`). Each must exist.
   */
  include?: string[];
  /** Threshold of the unreferenced-large-file warning (5 MiB). */
  largeFileBytes?: number;
}

interface Entry {
  relative: string;
  absolute: string;
  kind: 'file' | 'directory';
  size: number;
  mode: number;
}

/**
 * Zips a folder for Ray's `working_dir`: entries relative to the folder (no top-level folder), empty
 * directories kept, `.gitignore` files of the folder, its subfolders and its parents (up to the git
 * repository's root) and `.rayignore` files respected, credential files never shipped unless listed in
 * `include`, symlinks never followed out of the folder, the size checked against the dashboard's upload
 * limit before anything is sent.
 */
export async function packageDirectory(
  root: string,
  options: PackageOptions = {},
): Promise<PackagedDirectory> {
  const maxBytes = options.maxBytes ?? MAX_PACKAGE_BYTES;
  const realRoot = await realpath(root).catch((cause: unknown) => {
    throw new ConfigError(`cannot package ${root}: ${(cause as Error).message}`, {
      field: 'root',
      cause,
    });
  });
  const include = new Set((options.include ?? []).map((file) => normalizeRelative(root, file)));
  const includedBelow = (relativeDir: string): boolean =>
    [...include].some((file) => file.startsWith(`${relativeDir}/`));
  const baseLayers: IgnoreLayer[] = [
    ...(await parentIgnoreLayers(root)),
    ignoreLayer([...ALWAYS_EXCLUDED, ...(options.excludes ?? [])].join('\n'), root),
  ];
  const entries: Entry[] = [];
  const skipped: PackagedDirectory['skipped'] = [];
  let rawBytes = 0;

  const walk = async (relativeDir: string, inherited: IgnoreLayer[]): Promise<void> => {
    const absoluteDir = path.join(root, relativeDir);
    const layers = [...inherited, ...(await ignoreLayersIn(absoluteDir))];
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
      const listed = include.has(relative);
      if (child.isSymbolicLink()) {
        // A link is shipped as the file it points to, and only when that file is inside the folder:
        // following it out could ship ~/.ssh or /etc; a linked folder could loop.
        const target = await realpath(absolute).catch(() => undefined);
        if (target === undefined || !isInside(realRoot, target)) {
          skipped.push({ path: relative, reason: 'symlink-outside' });
          continue;
        }
      }
      const info = await stat(absolute).catch(() => undefined);
      if (info === undefined) continue;
      const isDirectory = info.isDirectory();
      if (isDirectory && child.isSymbolicLink()) {
        skipped.push({ path: relative, reason: 'symlink-folder' });
        continue;
      }
      if (!isDirectory && !info.isFile()) {
        skipped.push({ path: relative, reason: 'not-a-file' });
        continue;
      }
      const wanted = listed || (isDirectory && includedBelow(relative));
      if (!wanted && isIgnored(layers, absolute, isDirectory)) continue;
      if (!wanted && isCredentialFile(relative, isDirectory)) {
        skipped.push({ path: isDirectory ? `${relative}/` : relative, reason: 'credential' });
        continue;
      }
      if (isDirectory) {
        entries.push({ relative, absolute, kind: 'directory', size: 0, mode: info.mode });
        await walk(relative, layers);
      } else {
        rawBytes += info.size;
        entries.push({ relative, absolute, kind: 'file', size: info.size, mode: info.mode });
        if (rawBytes > maxBytes) throw tooLarge(root, entries, maxBytes);
      }
    }
  };
  await walk('', baseLayers);

  const shipped = new Set(entries.filter((e) => e.kind === 'file').map((e) => e.relative));
  const missing = [...include].filter((file) => !shipped.has(file));
  if (missing.length > 0) {
    throw new ConfigError(
      `--include ${missing.join(', ')}: no such file in ${root} (paths are relative to the packaged folder)`,
      { field: 'include' },
    );
  }

  const hash = createHash('sha256');
  const zipEntries: ZipEntry[] = [];
  const texts: Array<{ relative: string; text: string }> = [];
  for (const entry of entries) {
    if (entry.kind === 'directory') {
      hash.update(`d\0${entry.relative}\n`);
      zipEntries.push({ kind: 'directory', name: `${entry.relative}/`, mode: entry.mode });
    } else {
      const data = await readFile(entry.absolute);
      hash.update(`f\0${entry.relative}\0${createHash('sha256').update(data).digest('hex')}\n`);
      zipEntries.push({ kind: 'file', name: entry.relative, data, mode: entry.mode });
      if (data.length <= SCAN_BYTES && !data.subarray(0, 8000).includes(0)) {
        texts.push({ relative: entry.relative, text: data.toString('utf8') });
      }
    }
  }
  const zip = writeZip(zipEntries);
  if (zip.length > maxBytes) throw tooLarge(root, entries, maxBytes);
  const files = entries.filter((e) => e.kind === 'file');
  return {
    name: `_ray_pkg_${hash.digest('hex').slice(0, 32)}.zip`,
    zip,
    files: files.map((e) => e.relative),
    sizes: Object.fromEntries(files.map((e) => [e.relative, e.size])),
    rawBytes,
    skipped,
    unreferencedLarge: files
      .filter((e) => e.size >= (options.largeFileBytes ?? LARGE_FILE_BYTES))
      .filter((e) => !isReferenced(e.relative, texts))
      .map((e) => ({ path: e.relative, size: e.size })),
  };
}

/** Whether any other shipped text file names the file (by its path or its file name). */
function isReferenced(relative: string, texts: ReadonlyArray<{ relative: string; text: string }>): boolean {
  const name = path.posix.basename(relative);
  return texts.some((t) => t.relative !== relative && (t.text.includes(relative) || t.text.includes(name)));
}

function isInside(realRoot: string, target: string): boolean {
  const relative = path.relative(realRoot, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function normalizeRelative(root: string, file: string): string {
  const absolute = path.resolve(root, file);
  const relative = path.relative(root, absolute).split(path.sep).join('/');
  if (relative === '' || relative.startsWith('..')) {
    throw new ConfigError(`--include ${file} is outside the packaged folder ${root}`, { field: 'include' });
  }
  return relative;
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
