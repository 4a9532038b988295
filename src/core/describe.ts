import type { StepOf } from './model.js';

/** What a migrate step does, in words (show, the TUI's preview). */
export function migrateText(w: StepOf<'migrate'>['with']): string {
  const which = w.only ? `migrations ${w.only.join(', ')}` : w.to ? `migrations ${w.direction === 'up' ? `through ${w.to}` : `above ${w.to}`}` : 'every migration';
  return `${w.direction === 'up' ? 'applies' : 'rolls back'} ${which} under the migration lock (lock_timeout ${w.lock_timeout ?? 'from config, else 2s'}, ${w.retries ?? 8} retries)`;
}

export function gateText(w: StepOf<'gate'>['with']): string {
  return `requires ${w.require === 'preflight' ? 'a passed preflight run' : 'a verified backup'} of this database${w.max_age ? ` younger than ${w.max_age}` : ''}; stops the run in ${(w.enforce_in ?? ['production']).join(' / ')}, warns elsewhere`;
}
