import type { z } from 'zod';

/** Where a problem is (a path into the validated value) and what was expected there. */
export interface ExplainedIssue {
  /** The field the message is about. */
  path: Array<string | number>;
  /** Where to point in the file: the field, or for an unknown key the key itself. */
  at: Array<string | number>;
  message: string;
}

/**
 * Explains a union that failed at `path` better than a generic rule can (the eval file's `dataset`:
 * "give exactly one of path, records, mlflow"). Returns undefined to fall back to the generic rule.
 */
export type UnionHint = (value: unknown, path: Array<string | number>) => string | undefined;

/**
 * Turns a zod issue into a message that says what was expected — never zod's bare "Invalid input". A
 * failed union is explained by the branch that got furthest (a scorer entry whose `aggregations` holds
 * `p99` is reported at `aggregations[0]`, not as "invalid scorer"), a missing value is called missing,
 * and an unknown key is reported at the key itself, so the line number points at it.
 */
export function explainIssue(
  issue: z.core.$ZodIssue,
  root: unknown,
  options: { unionHints?: Record<string, UnionHint>; basePath?: Array<string | number> } = {},
): ExplainedIssue {
  const path = [...(options.basePath ?? []), ...issue.path.filter(isKey)];
  const value = valueAt(root, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      const first = issue.keys[0];
      return {
        path,
        at: first !== undefined ? [...path, first] : path,
        message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`,
      };
    }
    case 'invalid_union': {
      const hint = options.unionHints?.[pathKey(path)]?.(value, path);
      if (hint !== undefined) return { path, at: path, message: hint };
      const deepest = deepestBranchIssue(issue.errors);
      if (deepest !== undefined) return explainIssue(deepest, root, { ...options, basePath: path });
      if (issue.message !== 'Invalid input') {
        // the schema says in its own words what it expects
        return { path, at: path, message: value === undefined ? `missing; ${issue.message}` : issue.message };
      }
      const expected = [...new Set(issue.errors.flatMap((branch) => branch.map(expectedOf)))].filter(
        (e): e is string => e !== undefined,
      );
      const wanted = expected.length > 0 ? expected.join(' or ') : 'another value';
      return {
        path,
        at: path,
        message:
          value === undefined ? `missing; expected ${wanted}` : `expected ${wanted}, got ${describe(value)}`,
      };
    }
    case 'invalid_type': {
      const expected = expectedOf(issue) ?? issue.expected;
      return {
        path,
        at: path,
        message:
          value === undefined
            ? `missing; expected ${expected}`
            : `expected ${expected}, got ${describe(value)}`,
      };
    }
    case 'invalid_value': {
      if (!issue.message.startsWith('Invalid')) return { path, at: path, message: issue.message };
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      const expected = issue.values.length === 1 ? allowed : `one of ${allowed}`;
      return {
        path,
        at: path,
        message:
          value === undefined
            ? `missing; expected ${expected}`
            : `expected ${expected}; got ${JSON.stringify(value)}`,
      };
    }
    case 'invalid_key':
      return {
        path,
        at: path,
        message: `invalid key: ${issue.issues[0]?.message ?? issue.message}`,
      };
    default:
      return { path, at: path, message: issue.message.replace(/^Invalid input: /, '') };
  }
}

/** `scorers[0].aggregations[1]`: a path as the eval file's fields are named in messages. */
export function fieldName(path: ReadonlyArray<string | number>): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : p))
    .join('.')
    .replace(/\.\[/g, '[');
}

function isKey(p: PropertyKey): p is string | number {
  return typeof p !== 'symbol';
}

function pathKey(path: ReadonlyArray<string | number>): string {
  return path.map((p) => (typeof p === 'number' ? '[]' : p)).join('.');
}

/**
 * The issue of the union branch that matched deepest (its issues' paths are longest), when one branch
 * clearly got further than the others; undefined when every branch failed at the union itself.
 */
function deepestBranchIssue(
  branches: ReadonlyArray<ReadonlyArray<z.core.$ZodIssue>>,
): z.core.$ZodIssue | undefined {
  let best: { issue: z.core.$ZodIssue; depth: number } | undefined;
  let tie = false;
  for (const branch of branches) {
    for (const issue of branch) {
      const depth = issue.path.length + (issue.code === 'unrecognized_keys' ? 0.5 : 0);
      if (depth === 0) continue;
      if (best === undefined || depth > best.depth) {
        best = { issue, depth };
        tie = false;
      } else if (depth === best.depth && issue !== best.issue) tie = true;
    }
  }
  return best !== undefined && !tie ? best.issue : undefined;
}

function expectedOf(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  switch (issue.expected) {
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return String(issue.expected);
  }
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return value === '' ? 'an empty string' : `a string (${JSON.stringify(value.slice(0, 40))})`;
  return `${typeof value} ${String(value)}`;
}
