import type { Handlers } from '../core/engine.js';
import { backup } from './backup.js';
import { check } from './check.js';
import { checklist } from './checklist.js';
import { choose } from './choose.js';
import { confirm } from './confirm.js';
import { gate } from './gate.js';
import { http } from './http.js';
import { migrate } from './migrate.js';
import { note } from './note.js';
import { partialRecovery } from './partial-recovery.js';
import { pitr } from './pitr.js';
import { probe } from './probe.js';
import { restore } from './restore.js';
import { sessions } from './sessions.js';
import { shell } from './shell.js';
import { sql } from './sql.js';
import { verifyBackup } from './verify-backup.js';
import { wait } from './wait.js';

/** One handler per step kind; the engine looks them up by `kind`. */
export const handlers: Handlers = { note, checklist, check, sql, confirm, choose, wait, shell, http, migrate, gate, probe, backup, 'verify-backup': verifyBackup, restore, sessions, 'partial-recovery': partialRecovery, pitr };
