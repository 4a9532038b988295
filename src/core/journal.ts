import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunEvent } from './events.js';
import { isResumable, replay, type RunState } from './state.js';

/**
 * The journal (DESIGN §5): `runs/<run-id>/journal.jsonl`, mode 0600, one event a line. Each line carries the
 * hash of the previous line and its own hash over (prev + body), so an edited, removed or reordered line
 * breaks the chain and is found by `verifyJournal`.
 */

export const GENESIS = '0'.repeat(64);

export interface JournalLine {
  seq: number;
  prev: string;
  hash: string;
  event: RunEvent;
}

export function hashLine(prev: string, seq: number, event: RunEvent): string {
  return createHash('sha256').update(`${prev}\n${seq}\n${JSON.stringify(event)}`).digest('hex');
}

export function encodeLine(prev: string, seq: number, event: RunEvent): { text: string; hash: string } {
  const hash = hashLine(prev, seq, event);
  const line: JournalLine = { seq, prev, hash, event };
  return { text: `${JSON.stringify(line)}\n`, hash };
}

export interface VerifyResult {
  ok: boolean;
  events: RunEvent[];
  /** 1-based line number of the first line that breaks the chain. */
  badLine?: number;
  problem?: string;
}

export function verifyJournal(text: string): VerifyResult {
  const events: RunEvent[] = [];
  let prev = GENESIS;
  const lines = text.split('\n');
  // A final line without its newline is a write cut short by a crash: not tampering, but not trusted either.
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n] ?? '';
    if (raw === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      const last = n === lines.length - 1;
      return { ok: false, events, badLine: n + 1, problem: last ? 'the last line is incomplete (the process died while writing it)' : 'the line is not valid JSON' };
    }
    if (line.seq !== events.length + 1) return { ok: false, events, badLine: n + 1, problem: `expected sequence ${events.length + 1}, found ${line.seq}` };
    if (line.prev !== prev) return { ok: false, events, badLine: n + 1, problem: 'the chain is broken: this line does not follow the one before it' };
    if (hashLine(line.prev, line.seq, line.event) !== line.hash) return { ok: false, events, badLine: n + 1, problem: 'the line was changed after it was written (hash mismatch)' };
    events.push(line.event);
    prev = line.hash;
  }
  return { ok: true, events };
}

export class JournalWriter {
  private seq = 0;
  private prev = GENESIS;
  private fd: number | undefined;

  private constructor(public readonly file: string) {}

  /** Start a new journal for a run. The run directory is 0700 and the file 0600 (it names databases and operators). */
  static create(runDir: string): JournalWriter {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const w = new JournalWriter(path.join(runDir, 'journal.jsonl'));
    w.fd = openSync(w.file, 'wx', 0o600);
    return w;
  }

  /** Continue an existing journal (resume): verifies the chain first and appends after its last line. */
  static reopen(file: string): { writer: JournalWriter; verify: VerifyResult } {
    const text = readFileSync(file, 'utf8');
    const verify = verifyJournal(text);
    const w = new JournalWriter(file);
    if (verify.ok) {
      const lines = text.trimEnd().split('\n');
      const last = lines.length && lines[lines.length - 1] ? (JSON.parse(lines[lines.length - 1] as string) as JournalLine) : undefined;
      w.seq = last?.seq ?? 0;
      w.prev = last?.hash ?? GENESIS;
    }
    w.fd = openSync(file, 'a', 0o600);
    return { writer: w, verify };
  }

  /** Append synchronously: an event on screen is an event on disk, even if the process dies next. */
  append(event: RunEvent): void {
    if (this.fd === undefined) throw new Error('journal is closed');
    this.seq++;
    const { text, hash } = encodeLine(this.prev, this.seq, event);
    writeSync(this.fd, text);
    this.prev = hash;
    if (event.type === 'run-finished' || event.type === 'run-interrupted' || event.type === 'step-finished') {
      try {
        fsyncSync(this.fd);
      } catch {
        // fsync can fail on some filesystems (tmpfs in containers); the write itself has happened.
      }
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export function newRunId(runbookId: string, at: Date = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  return `${ts}-${runbookId}-${randomBytes(2).toString('hex')}`;
}

export interface RunSummary {
  runId: string;
  dir: string;
  journal: string;
  state: RunState;
  verify: VerifyResult;
  mtimeMs: number;
}

export async function readRun(dir: string): Promise<RunSummary | undefined> {
  const journal = path.join(dir, 'journal.jsonl');
  let text: string;
  let mtimeMs: number;
  try {
    text = await readFile(journal, 'utf8');
    mtimeMs = (await stat(journal)).mtimeMs;
  } catch {
    return undefined;
  }
  const verify = verifyJournal(text);
  return { runId: path.basename(dir), dir, journal, state: replay(verify.events), verify, mtimeMs };
}

/** Every run under the state dir, newest first. */
export async function listRuns(stateDir: string): Promise<RunSummary[]> {
  const runsDir = path.join(stateDir, 'runs');
  let names: string[];
  try {
    names = await readdir(runsDir);
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const n of names) {
    const r = await readRun(path.join(runsDir, n));
    if (r) runs.push(r);
  }
  return runs.sort((a, b) => (b.state.startedAt ?? b.mtimeMs) - (a.state.startedAt ?? a.mtimeMs) || b.runId.localeCompare(a.runId));
}

/** The newest unfinished run of this runbook against this target, if any. */
export async function findUnfinished(stateDir: string, runbookId: string, targetKey: string): Promise<RunSummary | undefined> {
  return (await listRuns(stateDir)).find(
    (r) => r.state.runbook?.id === runbookId && r.state.target?.key === targetKey && isResumable(r.state),
  );
}
