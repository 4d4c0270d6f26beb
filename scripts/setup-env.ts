// Development helper: builds one pinned Python environment (`npx tsx scripts/setup-env.ts mlflow`).
// `judgeflow setup` is the user-facing command; this exists so a single env can be rebuilt alone.
import path from 'node:path';
import { ensurePythonEnv, type PythonEnvName } from '../src/setup/python-env.js';

const name = process.argv[2] as PythonEnvName;
const home = path.resolve(process.env.JUDGEFLOW_HOME ?? '.judgeflow');
const python = await ensurePythonEnv(home, name, { log: (line) => console.error(line) });
console.log(python);
