import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { type EvalFile, evalFileSchema } from './schema.js';
import { explainIssue, fieldName, type UnionHint } from './zod-issues.js';

/** A validated eval file with where it came from. */
export interface LoadedEvalFile {
  /** Absolute path of the eval file. */
  path: string;
  /** The folder relative paths resolve against. */
  baseDir: string;
  /** The file's text (logged to MLflow as an artifact). */
  text: string;
  config: EvalFile;
  /**
   * The 1-based line of a value in the file (`['scorers', 2, 'model']`): of the key itself for a mapping
   * entry, of the item for a list element; the nearest enclosing one when the path is not in the file.
   */
  lineOf: (path: ReadonlyArray<string | number>) => number | undefined;
}

/** `file:line` of a path in the eval file (just the file when the line is unknown). */
export function locate(
  loaded: Pick<LoadedEvalFile, 'path' | 'lineOf'>,
  path: ReadonlyArray<string | number>,
): string {
  const line = loaded.lineOf(path);
  return line !== undefined ? `${loaded.path}:${line}` : loaded.path;
}

/** Reads and validates an eval file; errors name the file, line and field. */
export async function loadEvalFile(file: string): Promise<LoadedEvalFile> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder; name the eval file (e.g. eval.yaml) inside it'
          : (code ?? String(error));
    throw new ConfigError(`cannot read eval file ${absolute}: ${why}`, { file: absolute, cause: error });
  }
  const parsed = parseEvalFileWithLines(text, absolute);
  return { path: absolute, baseDir: path.dirname(absolute), text, ...parsed };
}

/** Parses eval-file YAML text and validates it against the schema. */
export function parseEvalFile(text: string, file: string): EvalFile {
  return parseEvalFileWithLines(text, file).config;
}

/** Like parseEvalFile, with the line lookup for later errors about the file's contents. */
export function parseEvalFileWithLines(
  text: string,
  file: string,
): Pick<LoadedEvalFile, 'config' | 'lineOf'> {
  const lineCounter = new LineCounter();
  const document = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = first.linePos?.[0]?.line;
    throw new ConfigError(
      `${file}${line !== undefined ? `:${line}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`,
      {
        file,
      },
    );
  }
  const lineOf = (issuePath: ReadonlyArray<string | number>): number | undefined => {
    const offset = offsetOf(document.contents, issuePath);
    return offset !== undefined ? lineCounter.linePos(offset).line : undefined;
  };
  const data: unknown = document.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(
      `${file}: expected a mapping at the top level (experiment, dataset, scorers, ...)`,
      { file },
    );
  }
  const parsed = evalFileSchema.safeParse(data);
  if (!parsed.success) throw zodToConfigError(parsed.error, file, lineOf, data);
  return { config: parsed.data, lineOf };
}

/**
 * Where `path` starts in the YAML tree: a mapping entry's key, a list's item; the deepest node found
 * when the path leaves the file (a missing key is reported where its parent is).
 */
function offsetOf(root: unknown, issuePath: ReadonlyArray<string | number>): number | undefined {
  let node: unknown = root;
  let offset = rangeStart(node);
  for (const segment of issuePath) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (pair === undefined) return offset;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
      // the key is where a mistake in this entry is reported; a deeper path moves on into the value
      continue;
    }
    if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) return offset;
      offset = rangeStart(item) ?? offset;
      node = item;
      continue;
    }
    return offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as YamlNode).range;
  return Array.isArray(range) ? range[0] : undefined;
}

/** What the eval file's `dataset` union failed on, in words (exactly one of path, records, mlflow). */
const unionHints: Record<string, UnionHint> = {
  dataset: (value) => {
    const forms = '{path: FILE} (jsonl, json, csv or yaml), {records: [...]} or {mlflow: NAME}';
    if (value === undefined || value === null) return `missing; expected one of ${forms}`;
    if (typeof value !== 'object' || Array.isArray(value)) return `expected a mapping, one of ${forms}`;
    const given = ['path', 'records', 'mlflow'].filter((key) => key in value);
    if (given.length > 1)
      return `${given.map((k) => `"${k}"`).join(' and ')} given together; give exactly one of path, records, mlflow`;
    if (given.length === 0) return `none of path, records, mlflow given; expected one of ${forms}`;
    return undefined;
  },
};

/** Turns the first zod issue into a ConfigError naming file, line, field and what was expected. */
export function zodToConfigError(
  error: z.ZodError,
  file: string,
  lineOf?: (issuePath: ReadonlyArray<string | number>) => number | undefined,
  data?: unknown,
): ConfigError {
  const explained = explainIssue(error.issues[0]!, data, { unionHints });
  const field = fieldName(explained.path);
  const line = lineOf?.(explained.at);
  const where = `${file}${line !== undefined ? `:${line}` : ''}`;
  return new ConfigError(`${where}: ${field === '' ? '' : `${field}: `}${explained.message}`, {
    file,
    field,
  });
}
