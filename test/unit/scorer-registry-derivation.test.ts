import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { scorerTable } from '../../scripts/generate/scorer-table.js';
import { evalFileJsonSchema } from '../../src/app/json-schema.js';
import * as packageApi from '../../src/index.js';
import * as builtins from '../../src/scorers/builtins.js';
import { scorerRegistry } from '../../src/scorers/index.js';
import { repoRoot } from '../helpers/cli.js';

// Adding a scorer is its module plus ONE export line in src/scorers/builtins.ts. This test adds a
// throwaway scorer the way that line would (the registry module gains two exports) and shows that it
// then appears in everything derived from the registry: the eval-file registry, the JSON Schema, the
// package exports and the README table.

vi.mock('../../src/scorers/builtins.js', async (importOriginal) => {
  const { z } = await import('zod');
  const options = z.object({ threshold: z.number().describe('Pass at or above this') }).strict();
  const throwawayMetricDefinition = {
    type: 'throwaway_metric',
    aliases: ['ThrowawayAlias'],
    kind: 'code',
    description: 'a scorer that exists only in this test',
    needs: ['outputs'],
    options,
    create: (_options: unknown, common: { name?: string }) => ({
      name: common.name ?? 'throwaway_metric',
      kind: 'code',
      score: () => 1,
    }),
  };
  const throwawayMetric = () => throwawayMetricDefinition.create({}, {});
  return { ...(await importOriginal()), throwawayMetric, throwawayMetricDefinition };
});

// what its one line in builtins.ts would read
const registryLine = "export { throwawayMetric, throwawayMetricDefinition } from './heuristic/throwaway.js';";

describe('a scorer registered with one line in src/scorers/builtins.ts', () => {
  it('is a scorer type of the eval file, under its aliases too', async () => {
    const registry = scorerRegistry();
    expect(registry.get('ThrowawayAlias')?.type).toBe('throwaway_metric');
    const scorer = await registry.create({ type: 'throwaway_metric', threshold: 0.5 }, {} as never, {
      field: 'scorers[0]',
    });
    expect(scorer.name).toBe('throwaway_metric');
    expect(() => registry.parse({ type: 'throwaway_metric' }, { field: 'scorers[0]' })).toThrow(/threshold/);
  });

  it('is in the JSON Schema with its options', () => {
    const schema = evalFileJsonSchema() as {
      properties: { scorers: { items: { anyOf: Array<Record<string, unknown>> } } };
    };
    const [names, ...branches] = schema.properties.scorers.items.anyOf;
    expect(names?.enum).toEqual(expect.arrayContaining(['throwaway_metric', 'ThrowawayAlias']));
    expect(branches).toContainEqual(
      expect.objectContaining({
        description: 'a scorer that exists only in this test',
        required: ['type', 'threshold'],
      }),
    );
  });

  it('is exported by the package', () => {
    const api = packageApi as Record<string, unknown>;
    expect(typeof api.throwawayMetric).toBe('function');
    expect(api.throwawayMetricDefinition).toMatchObject({ type: 'throwaway_metric' });
  });

  it('has a row in the README table, with its library name, needs, options and alias', () => {
    const source = `${readFileSync(path.join(repoRoot, 'src/scorers/builtins.ts'), 'utf8')}\n${registryLine}\n`;
    const row = scorerTable(builtins, source)
      .split('\n')
      .find((line) => line.startsWith('| `throwaway_metric`'));
    expect(row).toMatch(
      /\| code +\| `throwawayMetric\(\)` +\| `outputs` +\| `threshold` \(required\) +\| a scorer that exists only in this test +\| `ThrowawayAlias` +\|$/,
    );
  });
});
