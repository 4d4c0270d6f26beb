// `npm run generate`: rewrites what is derived from the scorer registry (src/scorers/builtins.ts) —
// the eval file's JSON Schema (schema/eval.schema.json) and the README's built-in scorer table.
// test/unit/scorer-registry.test.ts fails when either is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evalFileJsonSchema } from '../src/app/json-schema.js';
import * as builtins from '../src/scorers/builtins.js';
import { replaceBetweenMarkers, scorerTable } from './generate/scorer-table.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (file: string) => path.join(root, file);

writeFileSync(at('schema/eval.schema.json'), `${JSON.stringify(evalFileJsonSchema(), null, 2)}\n`);
const table = scorerTable(builtins, readFileSync(at('src/scorers/builtins.ts'), 'utf8'));
writeFileSync(at('README.md'), replaceBetweenMarkers(readFileSync(at('README.md'), 'utf8'), table));
console.log('wrote schema/eval.schema.json and the scorer table in README.md');
