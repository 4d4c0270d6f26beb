// Entry script for `serveJudge` alone — what the integration tests start (`node --import tsx
// src/judges/serve-main.ts --model FILE --port 0`). It prints one line `listening <baseUrl>` on stdout
// once the port is bound (the model may still be loading: poll /health), logs to stderr, and exits on
// SIGTERM/SIGINT after closing the server. `judgeflow serve-judge` is the user-facing command.
import { parseArgs } from 'node:util';
import { serveJudge } from './serve-judge.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      threads: { type: 'string' },
      'context-size': { type: 'string' },
      'max-queue': { type: 'string' },
    },
    strict: true,
  });
  if (values.model === undefined) throw new Error('--model FILE.gguf is required');
  const server = await serveJudge({
    modelPath: values.model,
    port: Number(values.port),
    host: values.host,
    log: (line) => process.stderr.write(`[serve-judge] ${line}\n`),
    ...(values.threads !== undefined ? { threads: Number(values.threads) } : {}),
    ...(values['context-size'] !== undefined ? { contextSize: Number(values['context-size']) } : {}),
    ...(values['max-queue'] !== undefined ? { maxQueue: Number(values['max-queue']) } : {}),
  });
  process.stdout.write(`listening ${server.baseUrl}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`[serve-judge] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
