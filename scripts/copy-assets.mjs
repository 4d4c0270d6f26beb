// Copies non-TypeScript files the build needs next to the compiled code (judge prompt files).
import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prompts = join(root, 'src', 'judges', 'prompts');
if (existsSync(prompts)) cpSync(prompts, join(root, 'dist', 'judges', 'prompts'), { recursive: true });
// IFEval's Punkt model and langdetect profiles (src/scorers/ifeval/data), read at run time.
const ifevalData = join(root, 'src', 'scorers', 'ifeval', 'data');
if (existsSync(ifevalData))
  cpSync(ifevalData, join(root, 'dist', 'scorers', 'ifeval', 'data'), { recursive: true });
