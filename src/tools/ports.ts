import { readFile } from 'node:fs/promises';
import type { ClockPort, FsPort, HttpPort, ProcPort } from '../core/ports.js';
import { describeFailure, runTool } from './run.js';

/** Real ProcPort: operator-configured commands through the one runner, with the target's connection env. */
export function procPort(env: Record<string, string | undefined>, secrets: readonly string[] = []): ProcPort {
  const scrub = (s: string): string => secrets.reduce((acc, x) => (x ? acc.split(x).join('********') : acc), s);
  return {
    async run(command, opts) {
      const [file, args, shell] = typeof command === 'string' ? [command, [] as string[], true] : [command[0] ?? '', command.slice(1), false];
      const r = await runTool(file, args, {
        env,
        shell,
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
        onLine: (line, stream) => opts.onLine(scrub(line), stream),
      }).result;
      return {
        ok: r.ok,
        exitCode: r.exitCode,
        aborted: r.aborted,
        timedOut: r.timedOut,
        durationMs: r.durationMs,
        ...(r.ok ? {} : { failure: scrub(describeFailure(r)) }),
      };
    },
  };
}

/** Real HttpPort on fetch. JSON bodies; the body of the answer is read as text (first 64 KiB). */
export const httpPort: HttpPort = {
  async request({ url, method, body, timeoutMs, signal }) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await fetch(url, {
        method,
        signal: combined,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
      const text = (await res.text()).slice(0, 65_536);
      return { status: res.status, body: text };
    } catch (e) {
      if (timeout.aborted && !signal?.aborted) throw new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, "bad port" …).
      if (cause?.code) throw new Error(cause.message?.includes(cause.code) ? cause.message : `${cause.code}${cause.message ? `: ${cause.message}` : ''}`);
      throw new Error(cause?.message ? `fetch failed: ${cause.message}` : e instanceof Error ? e.message : String(e));
    }
  },
};

export const clockPort: ClockPort = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new Error('aborted'));
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export const fsPort: FsPort = { readText: (file) => readFile(file, 'utf8') };
