import { createInterface } from 'node:readline';
import { readEnv } from '../../config/env.js';
import { judgeflowVersion } from '../../core/paths.js';
import { buildPipeline } from '../../runner/build.js';
import { runWorker } from './worker.js';

/**
 * Process entry of a Node worker hosted by a Ray actor (`node dist/executors/ray/worker-main.js`, or
 * `node --import tsx src/executors/ray/worker-main.ts` from a source checkout). stdout is the protocol
 * channel, so anything else that writes to stdout (a user's scorer calling console.log) is sent to
 * stderr instead.
 */
async function main(): Promise<void> {
  const protocolWrite = process.stdout.write.bind(process.stdout);
  const toStderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = toStderr as typeof process.stdout.write;

  const input = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const code = await runWorker({
    input,
    write: (line) => {
      protocolWrite(line);
    },
    log: (line) => {
      toStderr(`${line}\n`);
    },
    version: judgeflowVersion(),
    env: readEnv(process.env),
    cwd: process.cwd(),
    pid: process.pid,
    build: (plan, env) => buildPipeline(plan, { env }),
  });
  // Exit now even if rows are still running or handles are open: with stdin closed nobody reads their results.
  process.exit(code);
}

await main();
