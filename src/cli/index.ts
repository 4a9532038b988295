import { main } from './main.js';

// After the terminal goes away (SIGHUP), writes to it fail with EIO or EPIPE. The journal on disk is what
// matters then; a failed write to a dead terminal must not crash the run before it records the interruption.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'EIO') throw e;
  });
}

// The process entry point: the only place that sets the exit code.
process.exitCode = await main(process.argv.slice(2));
