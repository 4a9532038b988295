/**
 * test/bench/render — 100,000 output lines through the running-step pane (issue: "Behaviour": a step printing
 * 100,000 lines neither floods an SSH link nor slows the child process).
 *
 * The real TUI front end renders to an 80×24 counting terminal while synthetic engine events stream the lines
 * in, batched as the engine batches them (500 lines or 100 ms). Printed, as ratios to `cat` of the same lines:
 * the bytes written to the terminal and the CPU time of the TUI process. Not an assertion test.
 *
 *   npm run bench:render [-- --seconds 5]   (0 = as fast as the producer can go)
 *   = tsc -p test/bench/tsconfig.json && node tmp/bench/test/bench/render.js
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OutputLine, RunEvent } from '../../src/core/events.js';
import type { Runbook } from '../../src/core/model.js';
import { FakeStdin } from '../ui/fakeTerminal.js';

const LINES = 100_000;
const BATCH = 500;

/** A terminal that counts what it is sent. */
class CountingTerminal extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 80;
  readonly rows = 24;
  bytes = 0;
  writes = 0;
  write = (chunk: string | Uint8Array): boolean => {
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    this.writes++;
    return true;
  };
}

function line(i: number): string {
  return `pg_restore: processing data for table "public.workflow_blocks" (item ${i} of ${LINES}, TOC entry ${3000 + (i % 977)})`;
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

/** cat of the same lines: bytes = the file (cat writes all of it), CPU from bash's `time`. */
function catBaseline(file: string): { bytes: number; cpuMs: number } {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; time cat "$1" > /dev/null', '_', file], { encoding: 'utf8' });
  const [user, sys] = r.stderr.trim().split(/\s+/).map(Number);
  return { bytes: statSync(file).size, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function main(): Promise<void> {
  const secondsArg = process.argv.indexOf('--seconds');
  const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
  // Ink decides at import time whether it runs in CI (then it draws only the last frame); a bench must draw.
  for (const k of Object.keys(process.env)) if (k === 'CI' || k === 'CONTINUOUS_INTEGRATION' || k.startsWith('CI_')) delete process.env[k];
  const { tuiFrontend } = await import('../../src/cli/tui-mode.js');
  const { runbookFromYaml } = await import('../helpers/fakes.js');
  const { stepInfo } = await import('../../src/core/engine.js');

  const runbook: Runbook = runbookFromYaml(
    `
id: restore
title: Restore the last verified backup
summary: pg_restore -v of a large archive.
phase: incident
risk: critical
steps:
  - { id: restore, title: Restore the archive, kind: shell, why: Puts the data back., with: { command: db.restore } }
  - { id: reindex, title: Rebuild the indexes, kind: sql, why: A long silent step., with: { sql: REINDEX DATABASE sim } }
`,
    '/virtual/restore.yaml',
  );

  const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-bench-'));
  const file = path.join(dir, 'lines.txt');
  writeFileSync(file, Array.from({ length: LINES }, (_, i) => `${line(i + 1)}\n`).join(''));

  const terminal = new CountingTerminal();
  // Keys never come; Ink still wants a terminal it can put in raw mode.
  const keyboard = new FakeStdin();
  const io = {
    stdout: terminal as unknown as NodeJS.WriteStream,
    stdin: keyboard as unknown as NodeJS.ReadStream,
    stderr: terminal as unknown as NodeJS.WriteStream,
  };

  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const frontend = await tuiFrontend({
    runbook,
    flags: { yes: false, vars: {}, dryRun: false },
    requestAbort: () => undefined,
    forceQuit: () => undefined,
    io,
    colour: true,
  });
  if (!frontend) throw new Error('the TUI did not start on the counting terminal');

  let emitMs = 0;
  const emit = (e: RunEvent): void => {
    const t = performance.now();
    frontend.emit(e);
    emitMs += performance.now() - t;
  };
  const now = Date.now();
  emit({
    type: 'run-started',
    at: now,
    runId: 'bench',
    runbook: { id: runbook.id, title: runbook.title, source: runbook.source, sha256: runbook.sha256, phase: runbook.phase, risk: runbook.risk },
    steps: runbook.steps.map(stepInfo),
    target: { host: 'db.internal', port: 5432, database: 'sim', user: 'sim_admin', env: 'production', serverVersion: '16.4', display: 'db.internal:5432/sim as sim_admin', key: 'db.internal:5432/sim' },
    operator: 'bench',
    host: 'bench',
    dryRun: false,
    toolVersion: '0',
    vars: {},
  });
  emit({ type: 'step-started', at: now, stepId: 'restore', attempt: 1 });
  const bytesBefore = terminal.bytes;
  const streamCpu0 = process.cpuUsage();
  const streamWall0 = performance.now();

  const batches = LINES / BATCH;
  for (let b = 0; b < batches; b++) {
    const lines: OutputLine[] = Array.from({ length: BATCH }, (_, i) => ({ stream: 'stderr', text: line(b * BATCH + i + 1) }));
    emit({ type: 'step-output', at: Date.now(), stepId: 'restore', lines });
    // Paced like a real restore, or as fast as possible; either way the event loop runs between batches.
    if (seconds > 0) await sleep((seconds * 1000) / batches);
    else await tick();
  }
  emit({ type: 'step-finished', at: Date.now(), stepId: 'restore', status: 'passed', summary: `Restored (${LINES} lines of output)`, durationMs: Date.now() - now });
  const streamWallMs = performance.now() - streamWall0;
  const streamCpuMs = cpuMs(process.cpuUsage(streamCpu0));
  const streamBytes = terminal.bytes - bytesBefore;
  // A long step that prints nothing: only the spinner and the clocks move.
  emit({ type: 'step-started', at: Date.now(), stepId: 'reindex', attempt: 1 });
  await sleep(200);
  const idleBytes0 = terminal.bytes;
  const idleMs = 3000;
  await sleep(idleMs);
  const idleBytesPerS = ((terminal.bytes - idleBytes0) * 1000) / idleMs;
  emit({ type: 'step-finished', at: Date.now(), stepId: 'reindex', status: 'passed', summary: 'Ran: REINDEX', durationMs: idleMs });
  emit({ type: 'run-finished', at: Date.now(), status: 'done', exitCode: 0, summary: 'Finished: every step passed.' });
  await sleep(100);
  frontend.close();
  const totalCpuMs = cpuMs(process.cpuUsage(cpu0));
  const totalWallMs = performance.now() - wall0;

  const cat = catBaseline(file);
  rmSync(dir, { recursive: true, force: true });

  const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(a / b < 0.1 ? 4 : 2)}×` : 'n/a');
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  const out = [
    `render bench: ${LINES.toLocaleString('en-US')} lines through the running-step pane, 80×24, ${seconds > 0 ? `paced over ${seconds} s` : 'as fast as possible'}`,
    '',
    `                         TUI              cat              TUI / cat`,
    `bytes to the terminal    ${kb(terminal.bytes).padEnd(17)}${kb(cat.bytes).padEnd(17)}${ratio(terminal.bytes, cat.bytes)}`,
    `CPU time                 ${`${totalCpuMs.toFixed(0)} ms`.padEnd(17)}${`${cat.cpuMs.toFixed(0)} ms`.padEnd(17)}${ratio(totalCpuMs, cat.cpuMs)}`,
    '',
    `while streaming: ${kb(streamBytes)} in ${(streamWallMs / 1000).toFixed(1)} s (${kb(streamBytes / (streamWallMs / 1000))}/s), ${terminal.writes} writes in all, CPU ${streamCpuMs.toFixed(0)} ms`,
    `a silent running step (spinner and clocks only): ${kb(idleBytesPerS)}/s`,
    `time the producer spent inside emit(): ${emitMs.toFixed(1)} ms for ${batches + 6} events (the engine never waits for the screen)`,
    `wall time, start to close: ${(totalWallMs / 1000).toFixed(1)} s (3 s of it the silent step); TUI CPU includes Ink/React start-up and the synthetic producer`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
