import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The judgeflow package's root folder (holds package.json, python/, schema/), from src/ or dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'python'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('judgeflow: cannot find the package root');
}

/** The judgeflow package version (shown by --version, compared between driver and Ray workers). */
export function judgeflowVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
