import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { betweenMarkers, libraryNames, scorerTable } from '../../scripts/generate/scorer-table.js';
import * as packageApi from '../../src/index.js';
import { promptDirectory } from '../../src/judges/prompt-file.js';
import * as builtins from '../../src/scorers/builtins.js';
import {
  allScorerDefinitions,
  builtinScorerDefinitions,
  heuristicScorerDefinitions,
  isScorerDefinition,
  judgeScorerDefinitions,
  moduleScorerDefinition,
} from '../../src/scorers/index.js';
import { repoRoot } from '../helpers/cli.js';

// The scorer registry (src/scorers/builtins.ts) is the one list of built-in scorers: the eval-file
// registry, the package exports, the JSON Schema and the README table are derived from it, and these
// tests fail when a derived artefact is stale or misses a registered scorer.

const registrySource = readFileSync(path.join(repoRoot, 'src/scorers/builtins.ts'), 'utf8');
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const committedSchema = JSON.parse(readFileSync(path.join(repoRoot, 'schema/eval.schema.json'), 'utf8')) as {
  properties: {
    scorers: { items: { anyOf: Array<{ enum?: string[]; properties?: { type?: { enum: string[] } } }> } };
  };
};

/** Every spelling a registered scorer accepts in the eval file. */
function spellings(definition: (typeof builtinScorerDefinitions)[number]): string[] {
  return [definition.type, ...(definition.aliases ?? [])];
}

describe('the scorer registry', () => {
  it('holds every built-in scorer once, code and judges alike', () => {
    const types = builtinScorerDefinitions.map((definition) => definition.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toHaveLength(40);
    expect(allScorerDefinitions()).toEqual(builtinScorerDefinitions);
    // the folder views partition the registry; neither keeps a list of its own
    expect(
      new Set([...heuristicScorerDefinitions, ...judgeScorerDefinitions, moduleScorerDefinition]),
    ).toEqual(new Set(builtinScorerDefinitions));
    expect(heuristicScorerDefinitions.length + judgeScorerDefinitions.length + 1).toBe(types.length);
  });

  it('declares, for each scorer, what a row needs (the docs table column)', () => {
    for (const definition of builtinScorerDefinitions) {
      if (definition.needs === 'user-defined') {
        expect(['module', 'judge']).toContain(definition.type);
        continue;
      }
      expect(definition.needs.length, definition.type).toBeGreaterThan(0);
    }
  });

  it('reads the library names of every registered definition off its export line', () => {
    const names = libraryNames(registrySource);
    const definitionExports = Object.entries(builtins)
      .filter(([, value]) => isScorerDefinition(value))
      .map(([name]) => name);
    expect([...names.keys()].sort()).toEqual(definitionExports.sort());
    expect(names.get('relevanceToQueryDefinition')?.sort()).toEqual(['RelevanceToInput', 'RelevanceToQuery']);
    expect(names.get('exactMatchDefinition')).toEqual(['exactMatch']);
    expect(names.get('moduleScorerDefinition')).toEqual([]);
  });
});

describe('derived from the registry', () => {
  it('the README table is up to date (regenerate with `npm run generate`)', () => {
    expect(betweenMarkers(readme)).toBe(scorerTable(builtins, registrySource));
  });

  it('the README table has a row for every registered scorer', () => {
    const table = betweenMarkers(readme) ?? '';
    for (const definition of builtinScorerDefinitions) {
      expect(table, definition.type).toContain(`| \`${definition.type}\` `);
      for (const alias of definition.aliases ?? []) expect(table, alias).toContain(`\`${alias}\``);
    }
  });

  it('the committed JSON Schema accepts every registered scorer and each spelling, bare or with options', () => {
    const [names, ...branches] = committedSchema.properties.scorers.items.anyOf;
    for (const definition of builtinScorerDefinitions) {
      for (const spelling of spellings(definition)) expect(names?.enum, spelling).toContain(spelling);
      const branch = branches.find((candidate) => candidate.properties?.type?.enum[0] === definition.type);
      expect(branch?.properties?.type?.enum, definition.type).toEqual(spellings(definition));
    }
    // plus the `pairwise` entry of a `models:` file, which compares models after their runs rather
    // than scoring a row, so it is not in the registry
    const pairwise = branches.filter((candidate) => candidate.properties?.type?.enum[0] === 'pairwise');
    expect(pairwise).toHaveLength(1);
    expect(branches).toHaveLength(builtinScorerDefinitions.length + 1);
  });

  it('the package exports every registered scorer: definition and library factories', () => {
    const api = packageApi as Record<string, unknown>;
    for (const [name, value] of Object.entries(builtins)) expect(api[name], name).toBe(value);
    for (const definition of builtinScorerDefinitions) {
      expect(Object.values(api), definition.type).toContain(definition);
    }
  });

  it('keeps every scorer export the package had before the registry', () => {
    const before = [
      'Completeness',
      'Correctness',
      'contains',
      'Equivalence',
      'ExpectationsGuidelines',
      'exactMatch',
      'Fluency',
      'Guidelines',
      'jsonSchema',
      'jsonValid',
      'latency',
      'length',
      'levenshtein',
      'makeJudge',
      'RelevanceToInput',
      'RelevanceToQuery',
      'RetrievalGroundedness',
      'RetrievalRelevance',
      'RetrievalSufficiency',
      'regex',
      'Safety',
      'Summarization',
      'scorer',
      'tokenCount',
    ];
    for (const name of before) {
      expect(typeof (packageApi as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});

describe('judge prompts', () => {
  const prompts = readdirSync(promptDirectory())
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => file.slice(0, -'.yaml'.length));

  it('every built-in judge has its prompt file, and every prompt file belongs to a registered judge', () => {
    const builtinJudges = judgeScorerDefinitions
      .filter((definition) => definition.type !== 'judge')
      .map((definition) => definition.type);
    // custom judges (`judge`, makeJudge) share one frame: custom_judge.yaml; pairwise.yaml is the
    // pairwise judge of src/app/pairwise, which compares two models' outputs rather than scoring a row
    expect(prompts.sort()).toEqual([...builtinJudges, 'custom_judge', 'pairwise'].sort());
  });
});
