import type { PackagedDirectory } from './package-dir.js';

/**
 * What `judgeflow submit` prints before it uploads a package: how many files and bytes are shipped,
 * the largest files, what was left out for safety, and large files that nothing in the folder names
 * (probably not needed by the job, and slow to ship).
 */
export function describePackage(pkg: PackagedDirectory, root: string): string[] {
  const lines = [
    `judgeflow: shipping ${root}: ${pkg.files.length} file(s), ${formatBytes(pkg.rawBytes)} (${formatBytes(pkg.zip.length)} zipped)`,
  ];
  const largest = Object.entries(pkg.sizes)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5)
    .map(([file, size]) => `${file} (${formatBytes(size)})`);
  if (largest.length > 0) lines.push(`  largest: ${largest.join(', ')}`);
  const credentials = pkg.skipped.filter((s) => s.reason === 'credential').map((s) => s.path);
  if (credentials.length > 0) {
    lines.push(
      `  left out as credential files: ${credentials.join(', ')} (to ship one anyway: --include <path>)`,
    );
  }
  const links = pkg.skipped
    .filter((s) => s.reason === 'symlink-outside' || s.reason === 'symlink-folder')
    .map(
      (s) =>
        `${s.path}${s.reason === 'symlink-outside' ? ' (points outside the folder)' : ' (a linked folder)'}`,
    );
  if (links.length > 0) lines.push(`  left out, symlinks: ${links.join(', ')}`);
  for (const file of pkg.unreferencedLarge) {
    lines.push(
      `judgeflow: warning: ${file.path} (${formatBytes(file.size)}) is not named by the eval file or any code in the folder; if the job does not need it, exclude it with .gitignore or .rayignore`,
    );
  }
  return lines;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
