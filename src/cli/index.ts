import { main } from './main.js';

// The process entry point: the only place that sets the exit code.
process.exitCode = await main(process.argv.slice(2));
