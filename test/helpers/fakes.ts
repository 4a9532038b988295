import type { DecisionRequest } from '../../src/core/events.js';
import type { Runbook } from '../../src/core/model.js';
import {
  CancelledError,
  DecisionRefused,
  type ClockPort,
  type Decide,
  type Decision,
  type DbPort,
  type Ports,
  type QueryResult,
} from '../../src/core/ports.js';
import { parseRunbook } from '../../src/core/loader.js';
import { packageRoot } from '../../src/core/paths.js';

/** A fake database for engine unit tests: answers by matching the SQL text. */
export class FakeDb implements DbPort {
  readonly seen: string[] = [];
  constructor(private readonly answers: (sql: string) => QueryResult | Error | Promise<QueryResult>) {}
  async query(sql: string): Promise<QueryResult> {
    this.seen.push(sql);
    const a = await this.answers(sql);
    if (a instanceof Error) throw a;
    return a;
  }
  async script(sql: string): Promise<QueryResult> {
    return this.query(sql);
  }
}

export function rows(...r: Record<string, unknown>[]): QueryResult {
  return { command: 'SELECT', rowCount: r.length, columns: r[0] ? Object.keys(r[0]) : [], rows: r };
}

/** A clock that advances instantly: sleep(ms) moves time forward without waiting. */
export class FakeClock implements ClockPort {
  constructor(public t = Date.UTC(2026, 10, 21, 12, 0, 0)) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new CancelledError();
    this.t += ms;
  }
}

export function fakePorts(db: DbPort, over: Partial<Ports> = {}): Ports {
  return {
    db,
    proc: { run: async () => ({ ok: true, exitCode: 0, aborted: false, timedOut: false, durationMs: 1 }) },
    http: { request: async () => ({ status: 200, body: 'ok' }) },
    clock: new FakeClock(),
    fs: { readText: async () => '' },
    ...over,
  };
}

/** Scripted answers by request kind; anything unscripted is refused. */
export function scripted(answers: Partial<Record<DecisionRequest['kind'], (r: DecisionRequest) => Decision>>): Decide & { asked: DecisionRequest[] } {
  const asked: DecisionRequest[] = [];
  const f = async (r: DecisionRequest): Promise<Decision> => {
    asked.push(r);
    const a = answers[r.kind];
    if (!a) throw new DecisionRefused(`no scripted answer for ${r.kind}`);
    return a(r);
  };
  return Object.assign(f, { asked });
}

export function runbookFromYaml(yaml: string, file = '/virtual/test.yaml'): Runbook {
  return parseRunbook(yaml, file, packageRoot());
}
