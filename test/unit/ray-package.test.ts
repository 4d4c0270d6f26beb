import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { isIgnored, parseIgnoreFile } from '../../src/submit/gitignore.js';
import { packageDirectory } from '../../src/submit/package-dir.js';
import { writeZip } from '../../src/submit/zip.js';

/** Reads a zip with Python's zipfile — what Ray uses to unpack a working_dir. */
function readWithPython(
  zip: Buffer,
  dir: string,
): { names: string[]; files: Record<string, string>; bad: string | null } {
  const file = path.join(dir, 'pkg.zip');
  writeFileSync(file, zip);
  const script = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'files = {i.filename: z.read(i).decode() for i in z.infolist() if not i.is_dir()}',
    'print(json.dumps({"names": z.namelist(), "files": files, "bad": z.testzip()}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jf-pkg-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(relative: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, 'src', relative)), { recursive: true });
  writeFileSync(path.join(dir, 'src', relative), text);
}

describe('writeZip', () => {
  it('writes an archive that Python zipfile reads back byte for byte (deflated and stored entries)', () => {
    const big = 'judge '.repeat(5000);
    const zip = writeZip([
      { kind: 'directory', name: 'data/' },
      { kind: 'file', name: 'data/qa.jsonl', data: Buffer.from(big) },
      { kind: 'file', name: 'tiny.txt', data: Buffer.from('x') },
      { kind: 'file', name: 'empty.txt', data: Buffer.alloc(0) },
      { kind: 'file', name: 'ünï.txt', data: Buffer.from('utf-8 name') },
    ]);
    expect(zip.length).toBeLessThan(big.length); // the big file was deflated
    const read = readWithPython(zip, dir);
    expect(read.bad).toBeNull();
    expect(read.names).toEqual(['data/', 'data/qa.jsonl', 'tiny.txt', 'empty.txt', 'ünï.txt']);
    expect(read.files).toEqual({
      'data/qa.jsonl': big,
      'tiny.txt': 'x',
      'empty.txt': '',
      'ünï.txt': 'utf-8 name',
    });
  });
});

describe('gitignore rules', () => {
  const rules = parseIgnoreFile(
    [
      '# comment',
      '*.log',
      '/build',
      'cache/',
      'docs/**/*.tmp',
      '!keep.log',
      'a?c',
      '[xy].bin',
      '\\#hash',
    ].join('\n'),
    '',
  );
  it.each([
    ['app.log', false, true],
    ['deep/dir/app.log', false, true],
    ['keep.log', false, false],
    ['build', true, true],
    ['sub/build', true, false],
    ['cache', true, true],
    ['cache', false, false],
    ['sub/cache', true, true],
    ['docs/a/b/c.tmp', false, true],
    ['docs/c.tmp', false, true],
    ['other/c.tmp', false, false],
    ['abc', false, true],
    ['abbc', false, false],
    ['x.bin', false, true],
    ['z.bin', false, false],
    ['#hash', false, true],
    ['data.jsonl', false, false],
  ])('%s (dir %s) ignored: %s', (relative, isDirectory, expected) => {
    expect(isIgnored(rules, relative, isDirectory)).toBe(expected);
  });

  it('scopes a nested .gitignore to its folder', () => {
    const nested = parseIgnoreFile('*.csv\n/local.txt', 'data');
    expect(isIgnored(nested, 'data/big.csv', false)).toBe(true);
    expect(isIgnored(nested, 'data/x/big.csv', false)).toBe(true);
    expect(isIgnored(nested, 'big.csv', false)).toBe(false);
    expect(isIgnored(nested, 'data/local.txt', false)).toBe(true);
    expect(isIgnored(nested, 'data/x/local.txt', false)).toBe(false);
  });
});

describe('packageDirectory', () => {
  it('packages the folder relative to its root, honouring .gitignore files and the built-in excludes', async () => {
    write('eval.yaml', 'experiment: x\n');
    write('data/qa.jsonl', '{"inputs":{"q":1}}\n');
    write('data/.gitignore', 'scratch.jsonl\n');
    write('data/scratch.jsonl', 'no');
    write('.gitignore', 'secrets.env\nout/\n');
    write('secrets.env', 'KEY=1');
    write('out/results.jsonl', '{}');
    write('node_modules/x/index.js', '');
    write('judgeflow-runs/r1/summary.json', '{}');
    write('scorers.ts', 'export const s = 1;');
    mkdirSync(path.join(dir, 'src', 'empty'));

    const pkg = await packageDirectory(path.join(dir, 'src'));
    expect(pkg.name).toMatch(/^_ray_pkg_[0-9a-f]{32}\.zip$/);
    expect(pkg.files).toEqual(['.gitignore', 'data/.gitignore', 'data/qa.jsonl', 'eval.yaml', 'scorers.ts']);
    const read = readWithPython(pkg.zip, dir);
    expect(read.bad).toBeNull();
    expect(read.names).toContain('empty/');
    expect(read.names).toContain('data/');
    expect(read.names.some((n) => n.startsWith('src/'))).toBe(false);
    expect(read.files['data/qa.jsonl']).toBe('{"inputs":{"q":1}}\n');
  });

  it('derives the name from the content: same content same name, one changed byte a new name', async () => {
    write('eval.yaml', 'a: 1\n');
    const first = await packageDirectory(path.join(dir, 'src'));
    const again = await packageDirectory(path.join(dir, 'src'));
    expect(again.name).toBe(first.name);
    expect(again.zip.equals(first.zip)).toBe(true);
    write('eval.yaml', 'a: 2\n');
    const changed = await packageDirectory(path.join(dir, 'src'));
    expect(changed.name).not.toBe(first.name);
  });

  it('refuses a folder above the size limit, naming the largest files', async () => {
    write('eval.yaml', 'a: 1\n');
    write('data/huge.jsonl', 'x'.repeat(4096));
    const error = await packageDirectory(path.join(dir, 'src'), { maxBytes: 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('data/huge.jsonl');
    expect((error as Error).message).toContain('too large');
  });
});
