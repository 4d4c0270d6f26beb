import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { installLocalPackages, type LocalPythonPackage, localPackagesHash } from './python-package.js';

let root: string;
const pkg: LocalPythonPackage = {
  dir: 'python/plugin',
  preflight: 'src/plugin/check.py',
  pins: 'python/requirements/x.txt',
};

async function write(relative: string, text: string): Promise<void> {
  const file = path.join(root, pkg.dir, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'judgeflow-python-package-test-'));
  await write('pyproject.toml', '[project]\nname = "plugin"\n');
  await write('README.md', '# plugin\n');
  await write('src/plugin/__init__.py', '');
  await write('src/plugin/app.py', 'VALUE = 1\n');
  await write('src/plugin/check.py', 'import json\nprint(json.dumps({"supported": True}))\n');
  await write('tests/test_app.py', 'def test(): pass\n');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('localPackagesHash', () => {
  it('changes when an installed source changes, and only then', async () => {
    const before = await localPackagesHash([pkg], root);
    expect(await localPackagesHash([pkg], root)).toBe(before);

    await write('tests/test_app.py', 'def test(): assert True\n');
    await write('src/plugin/__pycache__/app.cpython-311.pyc', 'bytes');
    await write('build/lib/plugin/app.py', 'stale copy');
    expect(await localPackagesHash([pkg], root)).toBe(before);

    await write('src/plugin/app.py', 'VALUE = 2\n');
    const changed = await localPackagesHash([pkg], root);
    expect(changed).not.toBe(before);

    await write('src/plugin/extra.py', '');
    expect(await localPackagesHash([pkg], root)).not.toBe(changed);
  });

  it('covers pyproject.toml (the entry points live there)', async () => {
    const before = await localPackagesHash([pkg], root);
    await write('pyproject.toml', '[project]\nname = "plugin"\nversion = "2"\n');
    expect(await localPackagesHash([pkg], root)).not.toBe(before);
  });
});

describe('installLocalPackages', () => {
  it('pip-installs a clean copy (sources, no tests or caches) without touching the source folder', async () => {
    await write('src/plugin/__pycache__/app.cpython-311.pyc', 'bytes');
    const calls: string[][] = [];
    let copied: string[] = [];
    await installLocalPackages('python3', [pkg], {
      root,
      run: async (command, args) => {
        calls.push([command, ...args]);
        const target = args.at(-1) as string;
        copied = (await readdir(target, { recursive: true })).map(String).sort();
      },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.slice(0, 8)).toEqual([
      'python3',
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '-q',
      '--no-deps',
      '--force-reinstall',
    ]);
    expect(copied).toEqual([
      'README.md',
      'pyproject.toml',
      'src',
      'src/plugin',
      'src/plugin/__init__.py',
      'src/plugin/app.py',
      'src/plugin/check.py',
    ]);
    expect((await readdir(path.join(root, pkg.dir))).sort()).toEqual([
      'README.md',
      'pyproject.toml',
      'src',
      'tests',
    ]);
  });

  it('refuses with a ConfigError naming the pin file when the preflight check fails', async () => {
    await write(
      'src/plugin/check.py',
      [
        'import json, sys',
        'print(json.dumps({"supported": False, "message": "tested with MLflow 3.17.2 only, but MLflow 3.18.0 is installed"}))',
        'sys.exit(3)',
      ].join('\n'),
    );
    let installed = false;
    const attempt = installLocalPackages('python3', [pkg], {
      root,
      run: async () => {
        installed = true;
      },
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(
      /cannot install python\/plugin .*tested with MLflow 3\.17\.2 only, but MLflow 3\.18\.0 is installed \(the versions come from python\/requirements\/x\.txt\)/,
    );
    expect(installed).toBe(false);
  });
});
