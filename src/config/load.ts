import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { type EvalFile, evalFileSchema } from './schema.js';

/** A validated eval file with where it came from. */
export interface LoadedEvalFile {
  /** Absolute path of the eval file. */
  path: string;
  /** The folder relative paths resolve against. */
  baseDir: string;
  /** The file's text (logged to MLflow as an artifact). */
  text: string;
  config: EvalFile;
}

/** Reads and validates an eval file; errors name the file, line and field. */
export async function loadEvalFile(file: string): Promise<LoadedEvalFile> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read eval file ${absolute}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      {
        file: absolute,
        cause: error,
      },
    );
  }
  return { path: absolute, baseDir: path.dirname(absolute), text, config: parseEvalFile(text, absolute) };
}

/** Parses eval-file YAML text and validates it against the schema. */
export function parseEvalFile(text: string, file: string): EvalFile {
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
  const data: unknown = document.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(
      `${file}: expected a mapping at the top level (experiment, dataset, scorers, ...)`,
      { file },
    );
  }
  const parsed = evalFileSchema.safeParse(data);
  if (!parsed.success) {
    throw zodToConfigError(parsed.error, file, (issuePath) => {
      const node = document.getIn(issuePath, true) as YamlNode | undefined;
      const offset = nodeOffset(node) ?? nodeOffset(document.getIn(issuePath.slice(0, -1), true) as YamlNode);
      return offset !== undefined ? lineCounter.linePos(offset).line : undefined;
    });
  }
  return parsed.data;
}

function nodeOffset(node: YamlNode | undefined): number | undefined {
  if (node === undefined || node === null) return undefined;
  if (typeof node === 'object' && 'range' in node && Array.isArray(node.range)) return node.range[0];
  if (isMap(node) || isSeq(node)) return node.range?.[0];
  return undefined;
}

/** Turns the first zod issue into a ConfigError naming file, line and field. */
export function zodToConfigError(
  error: z.ZodError,
  file: string,
  lineOf?: (issuePath: Array<string | number>) => number | undefined,
): ConfigError {
  const issue = error.issues[0]!;
  const issuePath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const field = issuePath
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
  const line = lineOf?.(issuePath);
  const where = `${file}${line !== undefined ? `:${line}` : ''}`;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys')
    message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  else if (issue.code === 'invalid_key')
    message = `invalid key: ${issue.issues[0]?.message ?? issue.message}`;
  return new ConfigError(`${where}: ${field === '' ? '' : `${field}: `}${message}`, { file, field });
}
