import { main } from './main.js';

// The process entry: everything else in src/cli is importable without side effects.
// A reader that stops early (`judgeflow bench --help | head`) closes the pipe: that ends the output,
// quietly, as for any Unix tool — not an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
process.exitCode = await main(process.argv);
