/**
 * Point-in-time recovery as text: the settings a recovering server reads and the procedure an operator follows on
 * a server this tool does not own. Pure: no files, no processes (DESIGN §9 item 5: since PostgreSQL 12 there is no
 * recovery.conf; a `recovery.signal` file plus ordinary settings start a targeted recovery).
 */

export type RecoveryAction = 'promote' | 'pause' | 'shutdown';

/** The oldest server whose recovery this tool drives (recovery.signal and recovery settings in postgresql.conf). */
export const MIN_PITR_SERVER_VERSION_NUM = 120000;

/** A value for postgresql.conf / postgresql.auto.conf: single-quoted, quotes doubled, backslashes escaped. */
export function quoteConfValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * A word for /bin/sh: bare when it holds nothing the shell treats specially, else single-quoted. A `<placeholder>`
 * stays as it is: the operator replaces it, quotes and all.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./@+=:,-]+$/.test(word) || /^<[^<>]*>(\/[^<>]*)?(\.[a-z-]+)?$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path inside archive_command / restore_command, where the server expands %f, %p and %%. */
function commandPath(p: string): string {
  return shellQuote(p).replace(/%/g, '%%');
}

/** Copies a completed WAL segment into `archiveDir`, refusing to overwrite one already there (a second cluster
 * archiving into the same place must fail loudly, not clobber the first's history). */
export function archiveCommand(archiveDir: string): string {
  const dir = commandPath(archiveDir);
  return `test ! -f ${dir}/%f && cp %p ${dir}/%f`;
}

/** Fetches a segment from `archiveDir` during recovery; a missing file makes cp fail, which ends the replay. */
export function restoreCommandFor(archiveDir: string): string {
  return `cp ${commandPath(archiveDir)}/%f %p`;
}

export interface RecoverySettingsInput {
  restoreCommand: string;
  /** ISO 8601 with a zone, e.g. 2026-11-21T10:15:00.123Z (checked with parseTargetTime). */
  targetTime: string;
  action: RecoveryAction;
}

/**
 * The lines to append to postgresql.auto.conf (or postgresql.conf) of the server that recovers. Together with an
 * empty `recovery.signal` in the data directory they make it replay archived WAL up to the target time, then act.
 * recovery_target_inclusive stays at its default (on): a transaction that committed exactly at the target time is
 * kept; what committed later is not.
 */
export function recoverySettings(input: RecoverySettingsInput): string[] {
  return [
    '# parlant-runbook: point-in-time recovery (recovery.signal is in the data directory)',
    `restore_command = ${quoteConfValue(input.restoreCommand)}`,
    `recovery_target_time = ${quoteConfValue(serverTimestamp(input.targetTime))}`,
    `recovery_target_action = ${quoteConfValue(input.action)}`,
  ];
}

/**
 * The target time as the server reads it while it starts: "2026-11-21 10:15:00.5+00:00". A zone written as "Z" is
 * a time zone abbreviation, and the abbreviations are not loaded yet when the postmaster reads its configuration:
 * PostgreSQL rejects `recovery_target_time = '…Z'` with "invalid value" and does not start. A numeric offset works.
 */
export function serverTimestamp(iso: string): string {
  return iso
    .trim()
    .replace(/^(\d{4}-\d{2}-\d{2})[T ]/i, '$1 ')
    .replace(/\s*Z$/i, '+00:00');
}

/**
 * Checks a target time: it must be a real instant with an explicit zone (Z or ±hh[:mm]), since the server would
 * otherwise read it in its own TimeZone setting, which may not be the operator's. Returns the text as given (the
 * server parses it, microseconds and all) with the instant it names, or an error that says what to type.
 */
export function parseTargetTime(text: string): { ok: true; iso: string; date: Date } | { ok: false; error: string } {
  const t = text.trim();
  const shape = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$/i;
  const example = 'e.g. 2026-11-21T10:15:00Z or 2026-11-21 11:15:00+01:00';
  if (!shape.test(t)) {
    return { ok: false, error: `The recovery target time "${text}" is not an ISO timestamp with a time zone (${example}).` };
  }
  const normal = t
    .replace(/^(\d{4}-\d{2}-\d{2})[T ]/i, '$1T')
    .replace(/\s+/g, '')
    .replace(/([+-]\d{2})$/, '$1:00')
    .replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(normal);
  if (Number.isNaN(date.getTime())) return { ok: false, error: `The recovery target time "${text}" is not a valid date (${example}).` };
  // Keep the operator's sub-millisecond digits: Date would round microseconds away and move the target.
  return { ok: true, iso: t, date };
}

export interface PitrProcedureInput {
  /** The data directory on the operator's server, or undefined when unknown (a placeholder is shown). */
  dataDir?: string;
  /** Where the base backup is (a directory copy of a data directory, pg_basebackup -Fp). */
  baseBackup?: string;
  /** The WAL archive the restore_command reads from. */
  archiveDir?: string;
  /** A restore_command to use instead of copying from archiveDir (object storage tools …). */
  restoreCommand?: string;
  targetTime: string;
  action: RecoveryAction;
  /** How the service is stopped and started (default: systemctl … postgresql). */
  serviceName?: string;
  /** The server's major version, when known: below 12 the procedure is not this tool's. */
  serverMajor?: number;
}

/**
 * The operator's steps to recover their own server to a point in time, one line each, commands indented. Never the
 * pre-12 recovery file (the seeds' mistake, DESIGN §9 item 5): PostgreSQL 12 and later refuse to start with one.
 */
export function pitrProcedure(input: PitrProcedureInput): string[] {
  if (input.serverMajor !== undefined && input.serverMajor < 12) {
    return [
      `This server runs PostgreSQL ${input.serverMajor}: before 12, recovery was configured in a separate file with other rules, a procedure this tool does not support.`,
      'Follow the "Recovery Configuration" chapter of the documentation for that version, or upgrade the server first.',
    ];
  }
  const data = input.dataDir ?? '<data directory>';
  const base = input.baseBackup ?? '<base backup directory>';
  const archive = input.archiveDir ?? '<WAL archive directory>';
  const restore = input.restoreCommand ?? restoreCommandFor(archive);
  const service = input.serviceName ?? 'postgresql';
  const aside = `${data}.before-pitr`;
  const settings = recoverySettings({ restoreCommand: restore, targetTime: input.targetTime, action: input.action });
  return [
    `Point-in-time recovery to ${input.targetTime} (PostgreSQL 12 or later: a recovery.signal file and recovery settings in the server's configuration).`,
    'Safer: do this on another machine or a second data directory and copy the rows you need back; the steps below replace the server in place.',
    '1. Make sure the WAL up to the target is archived (on the old server, if it still runs): SELECT pg_switch_wal();',
    '   then wait until pg_stat_archiver.last_archived_wal has reached that segment.',
    `2. Stop the server:  sudo systemctl stop ${service}`,
    `3. Move the data directory aside (do not delete it: it is the way back):  sudo mv ${shellQuote(data)} ${shellQuote(aside)}`,
    `4. Copy the base backup into place, owned by the server's OS user, mode 0700:`,
    `     sudo cp -a ${shellQuote(base)} ${shellQuote(data)} && sudo chown -R postgres:postgres ${shellQuote(data)} && sudo chmod 0700 ${shellQuote(data)}`,
    `   Remove ${data}/postmaster.pid if it was copied; keep backup_label.`,
    `5. Create the recovery signal file:  sudo -u postgres touch ${shellQuote(`${data}/recovery.signal`)}`,
    `6. Append these settings to ${data}/postgresql.auto.conf (or to postgresql.conf, where Debian keeps it in /etc/postgresql/<version>/main):`,
    ...settings.map((l) => `     ${l}`),
    '   Check that archive_command will not write the new timeline into the archive another server still uses.',
    `7. Start the server:  sudo systemctl start ${service}`,
    '8. Watch the server log until recovery stops: expect "starting point-in-time recovery to …",',
    '   "consistent recovery state reached", then "recovery stopping before commit of transaction …, time …".',
    '   "recovery ended before configured recovery target was reached" means the archive lacks WAL up to the target.',
    ...actionSteps(input.action),
    '10. Check the data (the rows the migration changed), then remove the recovery settings from postgresql.auto.conf',
    '    (restore_command, recovery_target_time, recovery_target_action) so that a later restart does not act on them.',
    '11. Take a new base backup: the recovered server runs on a new timeline, and older base backups do not lead to it.',
  ];
}

function actionSteps(action: RecoveryAction): string[] {
  switch (action) {
    case 'promote':
      return ['9. The server promotes itself: SELECT pg_is_in_recovery(); returns false, and recovery.signal is gone.'];
    case 'pause':
      return [
        "9. Replay pauses at the target: SELECT pg_get_wal_replay_pause_state(); returns 'paused'. Inspect the data read-only;",
        '   SELECT pg_wal_replay_resume(); then promotes it (or change the target and restart to go further).',
      ];
    case 'shutdown':
      return ['9. The server shuts down at the target ("shutdown at recovery target" in the log). Change recovery_target_action to promote and start it again.'];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading what the tools and the server say

export interface BaseBackupProgress {
  /** kB streamed so far, and the estimate of the total (absent with --no-estimate-size). */
  doneKb: number;
  totalKb?: number;
  percent?: number;
  tablespacesDone: number;
  tablespacesTotal: number;
  /** The file being copied (pg_basebackup --verbose --progress names it). */
  file?: string;
}

/**
 * One line of `pg_basebackup --progress` when stderr is not a terminal (then every report ends in a newline, not a
 * carriage return): "12345/67890 kB (18%), 0/1 tablespace (data/base/1/1249)". null for any other line.
 */
export function parseBaseBackupProgress(line: string): BaseBackupProgress | null {
  const m = /^\s*(\d+)(?:\/(\d+))? kB(?: \((\d+)%\))?, (\d+)\/(\d+) tablespaces?(?:\s+\((.*?)\s*\))?\s*$/.exec(line);
  if (!m) return null;
  const file = m[6]?.replace(/^\.\.\./, '').trim();
  return {
    doneKb: Number(m[1]),
    ...(m[2] !== undefined ? { totalKb: Number(m[2]) } : {}),
    ...(m[3] !== undefined ? { percent: Number(m[3]) } : {}),
    tablespacesDone: Number(m[4]),
    tablespacesTotal: Number(m[5]),
    ...(file ? { file } : {}),
  };
}

export interface BackupLabel {
  /** START WAL LOCATION: where replay of this backup begins, and its segment. */
  startLsn?: string;
  startFile?: string;
  checkpointLsn?: string;
  /** START TIME as written by the server ("2026-11-21 10:15:00 UTC"). */
  startTime?: string;
  timeline?: number;
  method?: string;
}

/** The backup_label file pg_basebackup leaves in the data directory. Unknown lines are ignored. */
export function parseBackupLabel(text: string): BackupLabel {
  const label: BackupLabel = {};
  for (const line of text.split('\n')) {
    const start = /^START WAL LOCATION: (\S+) \(file (\S+)\)/.exec(line);
    if (start) {
      label.startLsn = start[1];
      label.startFile = start[2];
    }
    const cp = /^CHECKPOINT LOCATION: (\S+)/.exec(line);
    if (cp) label.checkpointLsn = cp[1];
    const time = /^START TIME: (.+)$/.exec(line);
    if (time) label.startTime = time[1]?.trim();
    const tli = /^START TIMELINE: (\d+)/.exec(line);
    if (tli) label.timeline = Number(tli[1]);
    const method = /^BACKUP METHOD: (\S+)/.exec(line);
    if (method) label.method = method[1];
  }
  return label;
}

export interface RecoveryLog {
  /** "recovery stopping before commit of transaction 745, time 2026-11-21 10:15:01.2+00": where replay ended. */
  stoppedAt?: string;
  consistent: boolean;
  /** "archive recovery complete", "selected new timeline ID: 2" … */
  promoted: boolean;
  paused: boolean;
  shutDown: boolean;
  /** FATAL / PANIC lines, and the ERRORs of the startup process that explain them. */
  errors: string[];
  /** The lines worth showing the operator, in order. */
  notable: string[];
}

const NOTABLE = [
  /starting point-in-time recovery/,
  /starting archive recovery/,
  /redo starts at/,
  /consistent recovery state reached/,
  /recovery stopping (before|after)/,
  /pausing at the end of recovery/,
  /recovery has paused/,
  /redo done at/,
  /last completed transaction was at log time/,
  /selected new timeline ID/,
  /archive recovery complete/,
  /shutdown at recovery target/,
  /database system is ready to accept/,
];

/** FATALs a client connection gets while the server starts or stops: about that connection, not the recovery. */
const CLIENT_FATAL = /the database system is (starting up|shutting down|not yet accepting connections|not accepting connections|in recovery mode)|terminating connection due to administrator command/;

/** What a recovering server's log says about how far it got. Pure: the caller reads the file. */
export function readRecoveryLog(lines: readonly string[]): RecoveryLog {
  const log: RecoveryLog = { consistent: false, promoted: false, paused: false, shutDown: false, errors: [], notable: [] };
  for (const line of lines) {
    const stop = /(recovery stopping (?:before|after) .*)$/.exec(line);
    if (stop) log.stoppedAt = stop[1];
    if (/consistent recovery state reached/.test(line)) log.consistent = true;
    if (/archive recovery complete|selected new timeline ID/.test(line)) log.promoted = true;
    if (/pausing at the end of recovery|recovery has paused/.test(line)) log.paused = true;
    if (/shutdown at recovery target/.test(line)) log.shutDown = true;
    const failure = /\b(FATAL|PANIC):/.test(line) || /recovery ended before configured recovery target was reached/.test(line);
    if (failure && !CLIENT_FATAL.test(line)) log.errors.push(line);
    if (NOTABLE.some((re) => re.test(line))) log.notable.push(line);
  }
  return log;
}
