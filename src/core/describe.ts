import type { StepOf } from './model.js';

/** What a migrate step does, in words (show, the TUI's preview). */
export function migrateText(w: StepOf<'migrate'>['with']): string {
  const which = w.only ? `migrations ${w.only.join(', ')}` : w.to ? `migrations ${w.direction === 'up' ? `through ${w.to}` : `above ${w.to}`}` : 'every migration';
  return `${w.direction === 'up' ? 'applies' : 'rolls back'} ${which} under the migration lock (lock_timeout ${w.lock_timeout ?? 'from config, else 2s'}, ${w.retries ?? 8} retries)`;
}

const PROBE_TEXT: Record<StepOf<'probe'>['with']['probe'], string> = {
  connectivity: 'opens a fresh connection, times it and reads the server version',
  'client-tools': 'finds pg_dump, pg_restore and psql and compares their versions with the server',
  'disk-space': 'compares the free space where backups go with the estimated dump size',
  conflicts: 'looks for Parlant tables and enums that already exist and whether they match the migration',
  backup: 'looks for a verified backup of this database in the backup catalogue',
  health: 'calls the configured application health URL',
  terminal: 'checks whether this terminal survives a dropped SSH link (tmux / screen)',
  lint: 'lints the pending migration files for lock hazards (squawk)',
  risk: 'computes the risk assessment from the live numbers and the pending migrations',
  summary: 'lists every check of this run with its result',
};

export function probeText(w: StepOf<'probe'>['with']): string {
  return PROBE_TEXT[w.probe];
}

export function gateText(w: StepOf<'gate'>['with']): string {
  return `requires ${w.require === 'preflight' ? 'a passed preflight run' : 'a verified backup'} of this database${w.max_age ? ` younger than ${w.max_age}` : ''}; stops the run in ${(w.enforce_in ?? ['production']).join(' / ')}, warns elsewhere`;
}
