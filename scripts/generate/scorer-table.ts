// The README's built-in scorer table, derived from the registry (src/scorers/builtins.ts): one row per
// registered definition, its library names read off the registry's export lines. Used by
// `npm run generate` (scripts/generate.ts) and by the test that fails when the README is stale.
import { z } from 'zod';
import { definitionsOf, isScorerDefinition } from '../../src/scorers/catalog.js';
import type { ScorerDefinition } from '../../src/scorers/registry.js';

/** The README lines around the generated table; everything between them is rewritten. */
export const TABLE_BEGIN =
  '<!-- scorers:begin — generated from src/scorers/builtins.ts by `npm run generate`; do not edit -->';
export const TABLE_END = '<!-- scorers:end -->';

/** Options every judge takes; the README states them once below the table instead of in every row. */
const JUDGE_COMMON_OPTIONS = new Set(['model', 'samples', 'temperature', 'max_tokens']);

/**
 * The library names each definition is exported with, from the registry's source text: for every
 * `export { A, type AOptions, aDefinition } from '…'`, the value names that are not the definition
 * (`A`), keyed by the definition's export name (`aDefinition`).
 */
export function libraryNames(registrySource: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const match of registrySource.matchAll(/export\s*\{([^}]*)\}\s*from\s*'[^']+'/g)) {
    const specifiers = (match[1] as string)
      .split(',')
      .map((specifier) => specifier.trim())
      .filter((specifier) => specifier !== '' && !specifier.startsWith('type '));
    const definition = specifiers.find((specifier) => specifier.endsWith('Definition'));
    if (definition === undefined) continue;
    names.set(
      definition,
      specifiers.filter((specifier) => specifier !== definition),
    );
  }
  return names;
}

/** `['inputs', 'expectations.a | b']` → `` `inputs`, `expectations.a` or `b` ``. */
function needsCell(needs: ScorerDefinition['needs']): string {
  if (needs === 'user-defined') return 'what your code or instructions read';
  return needs
    .map((need) =>
      need === 'retrieved context'
        ? 'retrieved context'
        : need
            .split(' | ')
            .map((part) => `\`${part}\``)
            .join(' or '),
    )
    .join(', ');
}

/** The scorer's own options from its zod schema (as the JSON Schema shows them): required ones marked. */
function optionsCell(definition: ScorerDefinition): string {
  const schema = z.toJSONSchema(definition.options, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  const required = new Set(schema.required ?? []);
  return Object.keys(schema.properties ?? {})
    .filter((name) => definition.kind !== 'llm_judge' || !JUDGE_COMMON_OPTIONS.has(name))
    .map((name) => `\`${name}\`${required.has(name) ? ' (required)' : ''}`)
    .join(', ');
}

/** Text safe in a table cell: `|` would end the cell, `<name>` would read as an HTML tag. */
function escapeCell(text: string): string {
  return text.replace(/[|<>]/g, (character) => `\\${character}`);
}

/** A markdown table with padded columns, as the README's hand-written tables are laid out. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(3, cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/**
 * The table for a registry: `registry` is the registry module's exports (`import * as builtins`), and
 * `registrySource` its text, for the library names. One row per definition, in the derived order.
 */
export function scorerTable(registry: Record<string, unknown>, registrySource: string): string {
  const library = libraryNames(registrySource);
  const exportNames = new Map<unknown, string>(
    Object.entries(registry)
      .filter(([, value]) => isScorerDefinition(value))
      .map(([name, value]) => [value, name]),
  );
  const rows = definitionsOf(registry).map((definition) => {
    const exportName = exportNames.get(definition);
    const factories = exportName === undefined ? [] : (library.get(exportName) ?? []);
    return [
      `\`${definition.type}\``,
      definition.kind,
      factories.length > 0 ? factories.map((name) => `\`${name}()\``).join(', ') : '—',
      needsCell(definition.needs),
      optionsCell(definition) || '—',
      escapeCell(definition.description),
      (definition.aliases ?? []).map((alias) => `\`${alias}\``).join(', ') || '—',
    ];
  });
  return markdownTable(['type', 'kind', 'library', 'needs', 'options', 'description', 'aliases'], rows);
}

/** `text` with everything between the begin and end marker lines replaced by `content`. */
export function replaceBetweenMarkers(text: string, content: string): string {
  const begin = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (begin < 0 || end < begin) {
    throw new Error(
      `README.md: markers not found (expected a line "${TABLE_BEGIN}" and, below, "${TABLE_END}")`,
    );
  }
  return `${text.slice(0, begin + TABLE_BEGIN.length)}\n${content}\n${text.slice(end)}`;
}

/** What lies between the markers, or undefined when they are missing. */
export function betweenMarkers(text: string): string | undefined {
  const begin = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (begin < 0 || end < begin) return undefined;
  return text.slice(begin + TABLE_BEGIN.length, end).trim();
}
