import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { isCredentialFile } from '../../src/submit/credential-files.js';
import { ignoreLayer, isIgnored } from '../../src/submit/gitignore.js';
import { packageDirectory } from '../../src/submit/package-dir.js';
import { describePackage } from '../../src/submit/package-report.js';
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

describe('gitignore rules (the ignore package, git semantics)', () => {
  const base = '/pkg';
  const layers = [
    ignoreLayer(
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
      base,
    ),
  ];
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
    expect(isIgnored(layers, path.join(base, relative), isDirectory)).toBe(expected);
  });

  it('scopes a nested .gitignore to its folder, and a deeper layer overrides a shallower one', () => {
    const nested = [ignoreLayer('*.csv', base), ignoreLayer('!keep.csv\n/local.txt', `${base}/data`)];
    expect(isIgnored(nested, `${base}/data/big.csv`, false)).toBe(true);
    expect(isIgnored(nested, `${base}/data/keep.csv`, false)).toBe(false);
    expect(isIgnored(nested, `${base}/keep.csv`, false)).toBe(true);
    expect(isIgnored(nested, `${base}/data/local.txt`, false)).toBe(true);
    expect(isIgnored(nested, `${base}/data/x/local.txt`, false)).toBe(false);
  });
});

describe('credential files', () => {
  it.each([
    ['.env', true],
    ['config/.env.production', true],
    ['.env.example', false],
    ['server.pem', true],
    ['tls/private.key', true],
    ['id_rsa', true],
    ['keys/id_ed25519.pub', true],
    ['.npmrc', true],
    ['gcp/service-account-prod.json', true],
    ['eval.yaml', false],
    ['data/qa.jsonl', false],
    ['scorers.ts', false],
  ])('%s is a credential file: %s', (relative, expected) => {
    expect(isCredentialFile(relative)).toBe(expected);
  });
  it('whole credential folders', () => {
    expect(isCredentialFile('.ssh', true)).toBe(true);
    expect(isCredentialFile('.aws', true)).toBe(true);
    expect(isCredentialFile('data', true)).toBe(false);
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

  it('never follows a symlink out of the folder; a link to a file inside is shipped as that file', async () => {
    write('eval.yaml', 'a: 1\n');
    write('data/qa.jsonl', '{"inputs":{"q":1}}\n');
    writeFileSync(path.join(dir, 'outside-secret.txt'), 'SECRET');
    mkdirSync(path.join(dir, 'outside-folder'));
    writeFileSync(path.join(dir, 'outside-folder', 'x.txt'), 'SECRET');
    symlinkSync(path.join(dir, 'outside-secret.txt'), path.join(dir, 'src', 'leak.txt'));
    symlinkSync(path.join(dir, 'outside-folder'), path.join(dir, 'src', 'leak-dir'));
    symlinkSync('../outside-secret.txt', path.join(dir, 'src', 'relative-leak.txt'));
    symlinkSync('data/qa.jsonl', path.join(dir, 'src', 'alias.jsonl'));
    const pkg = await packageDirectory(path.join(dir, 'src'));
    expect(pkg.files).toEqual(['alias.jsonl', 'data/qa.jsonl', 'eval.yaml']);
    expect(pkg.zip.includes(Buffer.from('SECRET'))).toBe(false);
    expect(pkg.skipped).toEqual(
      expect.arrayContaining([
        { path: 'leak.txt', reason: 'symlink-outside' },
        { path: 'leak-dir', reason: 'symlink-outside' },
        { path: 'relative-leak.txt', reason: 'symlink-outside' },
      ]),
    );
  });

  it('leaves credential files out, even when no ignore file names them, unless listed with include', async () => {
    write('eval.yaml', 'a: 1\n');
    write('.env', 'OPENAI_API_KEY=sk-should-never-ship');
    write('.env.example', 'OPENAI_API_KEY=');
    write('certs/server.pem', '-----BEGIN PRIVATE KEY-----');
    write('id_ed25519', 'private');
    write('.ssh/config', 'Host x');
    const pkg = await packageDirectory(path.join(dir, 'src'));
    expect(pkg.files).toEqual(['.env.example', 'eval.yaml']);
    expect(pkg.skipped.filter((s) => s.reason === 'credential').map((s) => s.path)).toEqual([
      '.env',
      '.ssh/',
      'certs/server.pem',
      'id_ed25519',
    ]);
    const listed = await packageDirectory(path.join(dir, 'src'), { include: ['certs/server.pem'] });
    expect(listed.files).toEqual(['.env.example', 'certs/server.pem', 'eval.yaml']);
    const typo = await packageDirectory(path.join(dir, 'src'), { include: ['cert/server.pem'] }).catch(
      (e: unknown) => e,
    );
    expect(typo).toBeInstanceOf(ConfigError);
  });

  it("honours the .gitignore files of the folder's parents, up to the git repository's root", async () => {
    // dir is the repository: .git marks it; its .gitignore and one in between apply to src/sub
    mkdirSync(path.join(dir, '.git'));
    writeFileSync(path.join(dir, '.gitignore'), '*.parquet\n');
    write('.gitignore', 'scratch/\n');
    write('sub/eval.yaml', 'a: 1\n');
    write('sub/data.parquet', 'big');
    write('sub/scratch/notes.txt', 'x');
    const pkg = await packageDirectory(path.join(dir, 'src', 'sub'));
    expect(pkg.files).toEqual(['eval.yaml']);
  });

  it('reports what is shipped: count, size, largest files, and large files nothing names', async () => {
    write('eval.yaml', 'dataset: {path: data/qa.jsonl}\n');
    write('data/qa.jsonl', 'x'.repeat(3000));
    write('data/forgotten.bin', 'y'.repeat(6000));
    write('.env', 'K=v');
    const pkg = await packageDirectory(path.join(dir, 'src'), { largeFileBytes: 2000 });
    expect(pkg.unreferencedLarge).toEqual([{ path: 'data/forgotten.bin', size: 6000 }]);
    const lines = describePackage(pkg, path.join(dir, 'src'));
    expect(lines[0]).toContain('3 file(s), 8.8 KiB');
    expect(lines[1]).toBe(
      '  largest: data/forgotten.bin (5.9 KiB), data/qa.jsonl (2.9 KiB), eval.yaml (31 B)',
    );
    expect(lines.join('\n')).toContain('left out as credential files: .env');
    expect(lines.join('\n')).toContain('warning: data/forgotten.bin (5.9 KiB) is not named');
    expect(lines.join('\n')).not.toContain('warning: data/qa.jsonl');
  });
});
