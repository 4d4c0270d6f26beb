// `npm run bench -- <name> [args]`: runs bench/<name>.mjs (under tsx, as every benchmark imports the
// TypeScript sources); without a name, lists the benchmarks with the first line of their header.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './lib.mjs';

const here = path.join(root, 'bench');
const names = readdirSync(here)
  .filter(
    (file) =>
      file.endsWith('.mjs') && !['run.mjs', 'lib.mjs', 'peers-lib.mjs', 'evaluation-rows.mjs'].includes(file),
  )
  .map((file) => file.slice(0, -'.mjs'.length))
  .sort();
const [name, ...args] = process.argv.slice(2);

if (name === undefined || !names.includes(name)) {
  if (name !== undefined) process.stderr.write(`no benchmark "${name}"\n\n`);
  process.stdout.write('npm run bench -- <name> [args]   (figures and commands: bench/RESULTS.md)\n\n');
  for (const each of names) {
    const first = readFileSync(path.join(here, `${each}.mjs`), 'utf8').split('\n')[0] ?? '';
    process.stdout.write(`  ${each.padEnd(20)} ${first.replace(/^\/\/\s*/, '')}\n`);
  }
  process.exitCode = name === undefined ? 0 : 2;
} else {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, `${name}.mjs`), ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal !== null ? 1 : 0);
  });
}
