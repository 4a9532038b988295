import path from 'node:path';
import { newestFor, newestVerifiedFor, readCatalog } from '../backup/catalog.js';
import type { LoadedConfig } from '../core/config.js';
import { listRuns } from '../core/journal.js';
import type { EvidencePort } from '../core/ports.js';

/** Where backups go: the config's backup_dir (relative to the config file), else <state dir>/backups. */
export function backupDir(stateDir: string, config: LoadedConfig): string {
  const d = config.config.backup_dir;
  if (!d) return path.join(stateDir, 'backups');
  return path.resolve(config.file ? path.dirname(config.file) : process.cwd(), d);
}

/** Gates' evidence: finished runs from the journal in the state directory, backups from the catalogue. */
export function evidencePort(stateDir: string, backups: string): EvidencePort {
  return {
    async lastRun(runbookId, target) {
      const runs = await listRuns(stateDir);
      const r = runs.find(
        (x) => x.state.runbook?.id === runbookId && x.state.target?.key === target.key && !x.state.dryRun && x.state.finishedAt !== undefined && x.verify.ok,
      );
      if (!r || r.state.finishedAt === undefined) return undefined;
      return {
        runId: r.runId,
        status: r.state.status,
        finishedAt: r.state.finishedAt,
        failedSteps: r.state.steps.filter((s) => s.status === 'failed').length,
        vars: r.state.vars,
      };
    },
    async latestBackup(target) {
      const { entries, unreadable } = await readCatalog(backups);
      if (unreadable) throw new Error(unreadable);
      // A verified full backup is what a restore needs; only when there is none does the newest one say why.
      const e = newestVerifiedFor(entries, target) ?? newestFor(entries, target);
      if (!e) return undefined;
      const m = e.manifest;
      return {
        file: m.file,
        kind: m.kind,
        finishedAt: Date.parse(m.finished_at),
        verified: m.verification?.status === 'verified',
        ...(m.verification?.at ? { verifiedAt: Date.parse(m.verification.at) } : {}),
      };
    },
  };
}
