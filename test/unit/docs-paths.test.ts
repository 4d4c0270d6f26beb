import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

// Every file or folder of this repository that a README or doc names must exist: a doc that points
// to a file that is not here (a deleted test, a design page kept outside the repository) misleads.

/** Folders never walked: dependencies, build output and generated data. */
const SKIP = new Set(['node_modules', 'dist', '.judgeflow', 'judgeflow-runs', '.git', '.venv', 'out']);
/** Paths that docs name but that are made when the tool runs (ignored by git). */
const GENERATED = /(^|\/)(node_modules|\.venv|\.judgeflow|judgeflow-runs|dist)(\/|$)/;
const TOP_LEVEL = [
  'src',
  'test',
  'python',
  'k8s',
  'docker',
  'bench',
  'examples',
  'scripts',
  'schema',
  'bin',
  '.ci',
];

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdownFiles(full));
    else if (entry.name.endsWith('.md')) out.push(full);
  }
  return out;
}

/**
 * Repository paths a doc names: tokens such as `src/core/redact.ts`, `k8s/`, and relative ones
 * (`./x.md`) outside code samples (where `./scorers.ts` is a user's file next to an example eval file).
 * Globs (`test/integration/mlflow-*.test.ts`) are not checked.
 */
function namedPaths(text: string): string[] {
  const out: string[] = [];
  const prose = text.replace(/```[\s\S]*?```/g, '');
  const pathToken = /(?<![\w/.:@-])((?:\.{1,2}\/)?[A-Za-z0-9_.*-]+(?:\/[A-Za-z0-9_.*-]+)+)\/?/g;
  for (const [source, relativeToo] of [
    [text, false],
    [prose, true],
  ] as const) {
    for (const match of source.matchAll(pathToken)) {
      const token = (match[1] as string).replace(/[.,:;]+$/, '');
      if (token.includes('*')) continue;
      const first = token.split('/')[0] as string;
      const relative = token.startsWith('./') || token.startsWith('../');
      if (TOP_LEVEL.includes(first) || (relativeToo && relative)) out.push(token);
    }
  }
  return [...new Set(out)];
}

/** `../shared/…` names the evaluation data beside the repository: checked only where it is there (a
 * clone elsewhere has none, as the tests that read it skip). */
const sharedAbsent = !existsSync(path.resolve(repoRoot, '..', 'shared'));

describe('docs point only to files that exist', () => {
  const docs = markdownFiles(repoRoot);

  it('finds the docs', () => {
    expect(docs.map((file) => path.relative(repoRoot, file))).toEqual(
      expect.arrayContaining(['README.md', 'k8s/README.md', 'python/judgeflow_ray/README.md']),
    );
  });

  it.each(docs.map((file) => [path.relative(repoRoot, file), file]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const missing = namedPaths(text)
      .filter((token) => !GENERATED.test(token))
      .filter((token) => !(sharedAbsent && token.startsWith('../shared/')))
      .filter(
        (token) =>
          !existsSync(path.resolve(repoRoot, token)) &&
          !existsSync(path.resolve(path.dirname(file), token)) &&
          // a TypeScript import specifier in a code sample names the .ts file
          !existsSync(path.resolve(path.dirname(file), token.replace(/\.js$/, '.ts'))) &&
          !existsSync(path.resolve(repoRoot, token.replace(/\.js$/, '.ts'))),
      );
    expect(missing).toEqual([]);
    // design pages live outside the repository; docs and code refer to the README instead
    expect(text).not.toMatch(/\bDESIGN\.md\b/);
  });
});
