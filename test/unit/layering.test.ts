import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

// Dependencies point inward (STYLE.md "Shape"): src/core holds the contracts and knows no
// implementation — in particular nothing of MLflow, which is one sink among others; the runner takes
// its sinks from its caller and never imports one. Comments may say "as MLflow does"; code may not.

const src = path.join(repoRoot, 'src');

/** The non-test TypeScript files under a folder of src/. */
function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(full);
    }
  };
  walk(path.join(src, folder));
  return out;
}

/** The identifiers and string literals of a file: its code without comments. */
function codeTokens(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const tokens: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) tokens.push(node.text);
    else if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) tokens.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return tokens;
}

/** The src/ folder each relative import of a file lands in (`core`, `sinks`, ...). */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (m) => m[1] as string,
  );
  return specifiers.map((specifier) => {
    const target = path.relative(src, path.resolve(path.dirname(file), specifier));
    return target.split(path.sep)[0] as string;
  });
}

const rel = (file: string) => path.relative(repoRoot, file);

describe('layering', () => {
  it('src/core imports nothing outside src/core', () => {
    const outside = sourceFiles('core').flatMap((file) =>
      importedFolders(file)
        .filter((folder) => folder !== 'core')
        .map((folder) => `${rel(file)} → src/${folder}`),
    );
    expect(outside).toEqual([]);
  });

  it('src/core code names nothing of MLflow (the MlflowError class of the error taxonomy aside)', () => {
    // Identifiers that moved to src/sinks/mlflow with this rule; anything else spelled "mlflow" too.
    const moved = new Set(['traceIdFor', 'rootSpanIdFor']);
    const allowed = new Set(['MlflowError']);
    const found = sourceFiles('core').flatMap((file) =>
      codeTokens(file)
        .filter((token) => !allowed.has(token) && (moved.has(token) || /mlflow/i.test(token)))
        .map((token) => `${rel(file)}: ${token}`),
    );
    expect(found).toEqual([]);
  });

  it('src/runner imports no sink, app or CLI code: sinks are plugged in by its caller', () => {
    const found = sourceFiles('runner').flatMap((file) =>
      importedFolders(file)
        .filter((folder) => ['sinks', 'app', 'cli'].includes(folder))
        .map((folder) => `${rel(file)} → src/${folder}`),
    );
    expect(found).toEqual([]);
  });

  it('src/sinks import no runner, app, CLI or executor code', () => {
    const found = sourceFiles('sinks').flatMap((file) =>
      importedFolders(file)
        .filter((folder) => ['runner', 'app', 'cli', 'executors'].includes(folder))
        .map((folder) => `${rel(file)} → src/${folder}`),
    );
    expect(found).toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    // the scanner sees code, not comments: a fixture with both, checked through the same function
    const fixture = path.join(src, 'core', 'span.ts');
    expect(codeTokens(fixture)).toContain('SpanRecorder');
    expect(codeTokens(fixture).some((token) => /mlflow/i.test(token))).toBe(false);
    expect(readFileSync(fixture, 'utf8')).toMatch(/mlflow/i);
    expect(importedFolders(path.join(src, 'sinks', 'mlflow', 'sink.ts'))).toContain('core');
  });
});
