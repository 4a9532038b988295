/**
 * Reading pg_dump / pg_restore `--verbose` stderr and psql's COPY lines as progress (pure: no I/O, no clock).
 * The wordings are those of PostgreSQL 12–17 (pg_log_info) and of the older write_msg releases, which say the
 * same things with the same `pg_dump: ` prefix:
 *
 *   pg_dump: dumping contents of table "public.workspace"        (serial and parallel: a table's data starts)
 *   pg_dump: finished item 3446 TABLE DATA workflow_blocks       (parallel -j only: a worker finished an item)
 *   pg_restore: processing item 218 TABLE api_key                 (-j: the serial part, one item at a time)
 *   pg_restore: launching item 3442 TABLE DATA workflow           (-j: handed to a worker)
 *   pg_restore: finished item 3446 TABLE DATA workflow_blocks     (-j: done)
 *   pg_restore: creating TABLE "public.api_key"                   (any mode: what is being done now)
 *   pg_restore: processing data for table "public.api_key"
 *
 * Verbose chatter starts with a lower-case word after the prefix; errors and warnings carry a level
 * (`error:`, `warning:`, `detail:`, `hint:`) or, before 12, a bracketed context (`[archiver (db)]`).
 */

export type ToolLine =
  /** A table's data is being dumped or restored now ("public.workspace"). */
  | { kind: 'table'; table: string }
  /** A numbered TOC item finished (parallel mode). `table` when it is TABLE DATA (unqualified, as pg_dump prints it). */
  | { kind: 'finished'; id: number; desc: string; table?: string }
  /** A numbered TOC item started (pg_restore -j): run by the leader (processing) or handed to a worker (launching). */
  | { kind: 'started'; id: number; desc: string; how: 'processing' | 'launching' }
  /** pg_restore without -j: an item is being restored ("creating INDEX …", "executing SEQUENCE SET …"). */
  | { kind: 'step'; what: string }
  /** Other verbose chatter: "reading schemas", "saving encoding = UTF8" … (not shown one by one). */
  | { kind: 'chatter'; text: string }
  /** Worth showing: an error, a warning, their details, a server NOTICE, anything not recognised. */
  | { kind: 'message'; level: 'error' | 'warning' | 'other'; text: string };

const PREFIX = /^(pg_dump|pg_restore|pg_dumpall):\s+(.*)$/;

export function parseToolLine(line: string): ToolLine {
  const m = PREFIX.exec(line);
  if (!m) return { kind: 'message', level: 'other', text: line };
  const body = m[2] ?? '';
  const level = /^(error|fatal|FATAL|ERROR)\b:?|^\[[^\]]*\]/.test(body)
    ? 'error'
    : /^(warning|WARNING)\b:?/.test(body)
      ? 'warning'
      : undefined;
  if (level === 'error' && /^\[[^\]]*\]\s*(warning|WARNING)/.test(body)) return { kind: 'message', level: 'warning', text: line };
  if (level) return { kind: 'message', level, text: line };

  let x = /^dumping contents of table "?(.+?)"?$/.exec(body);
  if (x) return { kind: 'table', table: x[1] as string };
  x = /^processing data for table "?(.+?)"?$/.exec(body);
  if (x) return { kind: 'table', table: x[1] as string };
  x = /^finished item (\d+) (.+)$/.exec(body);
  if (x) {
    const desc = x[2] as string;
    const data = /^TABLE DATA (.+)$/.exec(desc);
    return { kind: 'finished', id: Number(x[1]), desc, ...(data ? { table: data[1] as string } : {}) };
  }
  x = /^(processing|processing missed|launching) item (\d+) (.+)$/.exec(body);
  if (x) return { kind: 'started', id: Number(x[2]), desc: x[3] as string, how: x[1] === 'launching' ? 'launching' : 'processing' };
  x = /^(creating|executing|restoring|setting owner and privileges for) (.+)$/.exec(body);
  if (x) return { kind: 'step', what: `${x[1]} ${x[2]}` };
  // Verbose messages start lower-case; server messages relayed by the tool (NOTICE:, detail: …) are shown.
  if (/^(detail|hint|DETAIL|HINT|NOTICE|INFO|LOG)\b/.test(body)) return { kind: 'message', level: 'other', text: line };
  if (/^[a-z]/.test(body)) return { kind: 'chatter', text: body };
  return { kind: 'message', level: 'other', text: line };
}

// ---------------------------------------------------------------------------------------------------------------
// pg_dump

export interface DumpProgress {
  /** Tables whose data has started, in order. */
  started: string[];
  /** TABLE DATA items finished (parallel mode). */
  finishedData: number;
  /** true once a "finished item" line was seen: done is counted from those, not from starts. */
  parallel: boolean;
  /** Parallel mode: tables started and not yet finished (a worker's table). */
  inFlight: string[];
  current?: string;
}

export const initialDumpProgress = (): DumpProgress => ({ started: [], finishedData: 0, parallel: false, inFlight: [] });

/** Fold one parsed line into the dump's progress (a new object; the old one is not changed). */
export function reduceDump(p: DumpProgress, l: ToolLine): DumpProgress {
  if (l.kind === 'table') return { ...p, started: [...p.started, l.table], inFlight: [...p.inFlight, l.table], current: l.table };
  if (l.kind === 'finished' && l.table !== undefined) {
    // "finished item" names the table without its schema; drop the first in-flight table it can be.
    const name = l.table;
    const i = p.inFlight.findIndex((t) => t === name || t.endsWith(`.${name}`));
    const inFlight = i < 0 ? p.inFlight : [...p.inFlight.slice(0, i), ...p.inFlight.slice(i + 1)];
    return { ...p, finishedData: p.finishedData + 1, parallel: true, inFlight, current: inFlight[inFlight.length - 1] };
  }
  return p;
}

/**
 * Tables done so far. Serial dumps say only when a table starts, so every started table but the current one is
 * done; parallel dumps say when each finishes. `ended`: the dump exited successfully, so all started are done.
 */
export function dumpDone(p: DumpProgress, ended = false): number {
  if (p.parallel) return p.finishedData;
  if (ended) return p.started.length;
  return Math.max(0, p.started.length - 1);
}

// ---------------------------------------------------------------------------------------------------------------
// pg_restore

export interface RestoreProgress {
  /** Without -j: item-level lines seen ("creating …", "processing data …"); each begins one item. */
  steps: number;
  /** -j: items of the serial phases begun ("processing item"), items finished by workers. */
  processed: number;
  finished: number;
  parallel: boolean;
  /** -j: a serial-phase item is under way (it is done when the next one begins or the parallel loop starts). */
  inSerialItem: boolean;
  current?: string;
}

export const initialRestoreProgress = (): RestoreProgress => ({ steps: 0, processed: 0, finished: 0, parallel: false, inSerialItem: false });

export function reduceRestore(p: RestoreProgress, l: ToolLine): RestoreProgress {
  switch (l.kind) {
    case 'started':
      return l.how === 'launching'
        ? { ...p, parallel: true, inSerialItem: false, current: l.desc }
        : { ...p, parallel: true, processed: p.processed + 1, inSerialItem: true, current: l.desc };
    case 'finished':
      return { ...p, parallel: true, inSerialItem: false, finished: p.finished + 1 };
    case 'table':
      return { ...p, steps: p.parallel ? p.steps : p.steps + 1, current: l.table };
    case 'step':
      return { ...p, steps: p.parallel ? p.steps : p.steps + 1, current: l.what };
    default:
      return p;
  }
}

/** Items done; `ended`: pg_restore exited successfully, so the item under way is done too. */
export function restoreDone(p: RestoreProgress, ended = false): number {
  if (p.parallel) return p.finished + p.processed - (p.inSerialItem && !ended ? 1 : 0);
  return ended ? p.steps : Math.max(0, p.steps - 1);
}

// ---------------------------------------------------------------------------------------------------------------
// psql \copy

/** psql's "COPY 1200" after a \copy (its row count), or null. */
export function parseCopyCount(line: string): number | null {
  const m = /^COPY (\d+)$/.exec(line.trim());
  return m ? Number(m[1]) : null;
}
