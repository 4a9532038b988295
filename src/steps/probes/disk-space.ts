import type { Probe } from '../probe.js';
import { formatBytes as bytes } from '../../core/risk.js';
import { loadSql } from '../source.js';
import { needHost } from './common.js';

/**
 * Check 3 (disk part): free space where backups go against the estimated dump size. A custom-format dump at
 * the default compression measured about 0.2 × the database size (DESIGN §11: 1.3 GB → 254 MB); we estimate
 * 0.35 × and want twice that free, because a backup that fills the disk fails in the middle of the window.
 */
export const DUMP_RATIO = 0.35;
export const MARGIN = 2;

export const diskSpace: Probe = async (ctx) => {
  const host = needHost(ctx);
  const { text } = await loadSql(ctx, { file: 'preflight/size-total.sql' });
  const r = await ctx.ports.db.query(text, [], { signal: ctx.signal, readOnly: true });
  const dbBytes = Number(r.rows[0]?.bytes ?? 0);
  const estimate = Math.ceil(dbBytes * DUMP_RATIO);
  const needed = estimate * MARGIN;
  const ds = await host.diskSpace(host.backupDir);
  ctx.rows(
    ['backups go to', 'free', 'database', 'estimated dump', 'wanted free'],
    [[`${host.backupDir}${ds.path !== host.backupDir ? ` (on ${ds.path})` : ''}`, bytes(ds.free), bytes(dbBytes), bytes(estimate), bytes(needed)]],
    1,
  );
  const summary = `${bytes(ds.free)} free for backups; an estimated ${bytes(estimate)} dump`;
  const advice = `Free space on ${ds.path}, or point backup_dir in parlant-runbook.config.yaml at a larger disk.`;
  if (ds.free < estimate) return { status: 'failed', summary, error: `${bytes(ds.free)} free is less than the estimated dump of ${bytes(estimate)}.`, advice };
  if (ds.free < needed) return { status: 'warned', summary: `${summary}: less than the ${MARGIN}× margin`, advice };
  return { status: 'passed', summary };
};
