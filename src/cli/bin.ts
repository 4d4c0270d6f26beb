import { main } from './main.js';

// The process entry: everything else in src/cli is importable without side effects.
process.exitCode = await main(process.argv);
