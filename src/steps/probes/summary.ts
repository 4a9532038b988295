import { STATUS_GLYPH } from '../../core/state.js';
import type { Probe } from '../probe.js';

/** The preflight as a checklist for the change request: every check of this run with its result. */
export const summary: Probe = async (ctx) => {
  const done = ctx.earlier.filter((s) => s.status !== 'skipped' || s.summary);
  const word: Record<string, string> = { passed: 'pass', warned: 'WARN', failed: 'FAIL', skipped: 'skipped', aborted: 'aborted' };
  const rows = done.map((s) => [`${STATUS_GLYPH[s.status as keyof typeof STATUS_GLYPH] ?? '·'} ${word[s.status] ?? s.status}`, s.title, s.summary ?? '']);
  ctx.rows(['result', 'check', 'evidence'], rows, rows.length);
  const n = (st: string): number => done.filter((s) => s.status === st).length;
  const text = `${n('passed')} passed, ${n('warned')} warning${n('warned') === 1 ? '' : 's'}, ${n('failed')} failed`;
  if (n('failed')) return { status: 'warned', summary: `${text}: not ready for the window`, advice: 'Fix every FAIL, then run the preflight again.' };
  if (n('warned')) return { status: 'warned', summary: `${text}: ready, with the warnings above understood` };
  return { status: 'passed', summary: `${text}: ready` };
};
