import { describe, expect, it } from 'vitest';
import {
  archiveCommand,
  parseBackupLabel,
  parseBaseBackupProgress,
  parseTargetTime,
  pitrProcedure,
  quoteConfValue,
  readRecoveryLog,
  recoverySettings,
  restoreCommandFor,
  shellQuote,
} from '../../src/core/pitr.js';

describe('recoverySettings', () => {
  it('gives restore_command, recovery_target_time and recovery_target_action, each quoted for postgresql.conf', () => {
    const lines = recoverySettings({ restoreCommand: 'cp /archive/%f %p', targetTime: '2026-11-21T10:15:00Z', action: 'promote' });
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual([
      "restore_command = 'cp /archive/%f %p'",
      "recovery_target_time = '2026-11-21 10:15:00+00:00'",
      "recovery_target_action = 'promote'",
    ]);
  });

  it('doubles single quotes and escapes backslashes inside values', () => {
    const lines = recoverySettings({ restoreCommand: "cp '/it''s here'/%f %p", targetTime: '2026-11-21T10:15:00Z', action: 'pause' });
    expect(lines).toContain("restore_command = 'cp ''/it''''s here''/%f %p'");
    expect(quoteConfValue('a\\b')).toBe("'a\\\\b'");
  });

  it('never mentions recovery.conf as a file to write', () => {
    const text = recoverySettings({ restoreCommand: 'cp /a/%f %p', targetTime: '2026-11-21T10:15:00Z', action: 'shutdown' }).join('\n');
    expect(text).not.toMatch(/recovery\.conf/);
    expect(text).toMatch(/recovery\.signal/);
  });
});

describe('archive and restore commands', () => {
  it('archives without overwriting and restores by copying, with plain paths left bare', () => {
    expect(archiveCommand('/tmp/c/wal-archive')).toBe('test ! -f /tmp/c/wal-archive/%f && cp %p /tmp/c/wal-archive/%f');
    expect(restoreCommandFor('/tmp/c/wal-archive')).toBe('cp /tmp/c/wal-archive/%f %p');
  });

  it('quotes paths with spaces or quotes for the shell and doubles % for the server', () => {
    expect(restoreCommandFor('/srv/my archive')).toBe("cp '/srv/my archive'/%f %p");
    expect(restoreCommandFor("/srv/it's")).toBe("cp '/srv/it'\\''s'/%f %p");
    expect(archiveCommand('/srv/100%')).toBe("test ! -f '/srv/100%%'/%f && cp %p '/srv/100%%'/%f");
    expect(shellQuote('plain/path-1.2')).toBe('plain/path-1.2');
  });
});

describe('parseTargetTime', () => {
  it('accepts ISO timestamps with a zone, keeping the text as given', () => {
    const r = parseTargetTime('2026-11-21T10:15:00.123456Z');
    expect(r).toMatchObject({ ok: true, iso: '2026-11-21T10:15:00.123456Z' });
    expect(r.ok && r.date.toISOString()).toBe('2026-11-21T10:15:00.123Z');
    const offset = parseTargetTime('2026-11-21 11:15:00+01');
    expect(offset.ok && offset.date.toISOString()).toBe('2026-11-21T10:15:00.000Z');
    const compact = parseTargetTime('2026-11-21T11:45:00 +0130');
    expect(compact.ok && compact.date.toISOString()).toBe('2026-11-21T10:15:00.000Z');
  });

  it('refuses a time without a zone, saying what to type', () => {
    const r = parseTargetTime('2026-11-21 10:15:00');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/time zone.*e\.g\. 2026-11-21T10:15:00Z/);
    expect(parseTargetTime('yesterday').ok).toBe(false);
    expect(parseTargetTime('2026-13-45T99:00:00Z').ok).toBe(false);
  });
});

describe('pitrProcedure', () => {
  const input = {
    dataDir: '/var/lib/postgresql/16/main',
    baseBackup: '/backups/sim_base_20261121T090000Z',
    archiveDir: '/archive',
    targetTime: '2026-11-21T10:15:00Z',
    action: 'promote' as const,
  };

  it('stops, moves the data dir aside, copies the base backup, signals recovery, sets the target and starts', () => {
    const text = pitrProcedure(input).join('\n');
    const order = ['systemctl stop', 'mv /var/lib/postgresql/16/main /var/lib/postgresql/16/main.before-pitr', 'cp -a /backups/sim_base_20261121T090000Z', 'recovery.signal', "restore_command = 'cp /archive/%f %p'", "recovery_target_time = '2026-11-21 10:15:00+00:00'", "recovery_target_action = 'promote'", 'systemctl start', 'pg_is_in_recovery()'];
    // Each step is found after the one before it.
    let at = text.indexOf('1. ');
    for (const step of order) {
      const i = text.indexOf(step, at + 1);
      expect(i, step).toBeGreaterThan(at);
      at = i;
    }
  });

  it('never tells the operator to write a recovery.conf', () => {
    for (const action of ['promote', 'pause', 'shutdown'] as const) {
      const text = pitrProcedure({ ...input, action }).join('\n');
      expect(text).not.toMatch(/recovery\.conf/);
    }
    // Placeholders stay unquoted, for the operator to replace.
    expect(pitrProcedure({ targetTime: input.targetTime, action: 'pause' }).join('\n')).toMatch(/touch <data directory>\/recovery\.signal/);
  });

  it('says plainly that servers before 12 are not supported', () => {
    const lines = pitrProcedure({ ...input, serverMajor: 11 });
    expect(lines.join('\n')).toMatch(/PostgreSQL 11.*does not support/);
    expect(lines.join('\n')).not.toMatch(/recovery\.signal/);
  });

  it('uses a given restore_command and explains each target action', () => {
    const text = pitrProcedure({ ...input, restoreCommand: "aws s3 cp s3://wal/%f %p", action: 'pause' }).join('\n');
    expect(text).toContain("restore_command = 'aws s3 cp s3://wal/%f %p'");
    expect(text).toMatch(/pg_get_wal_replay_pause_state/);
    expect(pitrProcedure({ ...input, action: 'shutdown' }).join('\n')).toMatch(/shutdown at recovery target/);
  });
});

describe('parseBaseBackupProgress', () => {
  it('reads pg_basebackup --progress --verbose lines', () => {
    expect(parseBaseBackupProgress('12345/67890 kB (18%), 0/1 tablespace (data/base/1/1249      )')).toEqual({
      doneKb: 12345,
      totalKb: 67890,
      percent: 18,
      tablespacesDone: 0,
      tablespacesTotal: 1,
      file: 'data/base/1/1249',
    });
    expect(parseBaseBackupProgress('   30000/30000 kB (100%), 2/2 tablespaces')).toEqual({
      doneKb: 30000,
      totalKb: 30000,
      percent: 100,
      tablespacesDone: 2,
      tablespacesTotal: 2,
    });
  });

  it('ignores the other lines', () => {
    expect(parseBaseBackupProgress('pg_basebackup: initiating base backup, waiting for checkpoint to complete')).toBeNull();
    expect(parseBaseBackupProgress('pg_basebackup: write-ahead log start point: 0/2000028 on timeline 1')).toBeNull();
  });
});

describe('parseBackupLabel', () => {
  it('reads where WAL replay starts', () => {
    const label = parseBackupLabel(
      [
        'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)',
        'CHECKPOINT LOCATION: 0/2000060',
        'BACKUP METHOD: streamed',
        'BACKUP FROM: primary',
        'START TIME: 2026-11-21 10:00:00 UTC',
        'LABEL: pg_basebackup base backup',
        'START TIMELINE: 1',
      ].join('\n'),
    );
    expect(label).toEqual({
      startLsn: '0/2000028',
      startFile: '000000010000000000000002',
      checkpointLsn: '0/2000060',
      method: 'streamed',
      startTime: '2026-11-21 10:00:00 UTC',
      timeline: 1,
    });
  });
});

describe('readRecoveryLog', () => {
  it('finds where recovery stopped and that it promoted', () => {
    const log = readRecoveryLog([
      '2026-11-21 10:20:00.000 UTC [10] LOG:  starting point-in-time recovery to 2026-11-21 10:15:00+00',
      '2026-11-21 10:20:00.100 UTC [10] LOG:  consistent recovery state reached at 0/2000100',
      '2026-11-21 10:20:00.200 UTC [10] LOG:  recovery stopping before commit of transaction 745, time 2026-11-21 10:15:01.2+00',
      '2026-11-21 10:20:00.300 UTC [10] LOG:  selected new timeline ID: 2',
      '2026-11-21 10:20:00.300 UTC [10] LOG:  archive recovery complete',
      '2026-11-21 10:20:00.100 UTC [11] FATAL:  the database system is not yet accepting connections',
    ]);
    expect(log.stoppedAt).toBe('recovery stopping before commit of transaction 745, time 2026-11-21 10:15:01.2+00');
    expect(log).toMatchObject({ consistent: true, promoted: true, errors: [] });
    expect(log.notable).toHaveLength(5);
  });

  it('reports a recovery that ran out of WAL before the target as an error', () => {
    const log = readRecoveryLog([
      '2026-11-21 10:20:00.200 UTC [10] LOG:  redo done at 0/3000060',
      '2026-11-21 10:20:00.200 UTC [10] FATAL:  recovery ended before configured recovery target was reached',
    ]);
    expect(log.stoppedAt).toBeUndefined();
    expect(log.errors).toEqual(['2026-11-21 10:20:00.200 UTC [10] FATAL:  recovery ended before configured recovery target was reached']);
  });
});

describe('serverTimestamp', () => {
  it('writes the zone as a numeric offset: the server cannot read "Z" while it starts', async () => {
    const { serverTimestamp } = await import('../../src/core/pitr.js');
    expect(serverTimestamp('2026-11-21T04:48:08.783451Z')).toBe('2026-11-21 04:48:08.783451+00:00');
    expect(serverTimestamp('2026-11-21 11:15:00+01:00')).toBe('2026-11-21 11:15:00+01:00');
    expect(serverTimestamp('2026-11-21t10:00:00z')).toBe('2026-11-21 10:00:00+00:00');
  });
});
