import type {
  BackupEvent,
  BackupOutcome,
  BackupPort,
  BackupRequest,
  EmitBackup,
  PartialOutcome,
  PartialRequest,
  PitrCheck,
  PitrOutcome,
  PitrRecoverRequest,
  RestoreOutcome,
  RestoreRequest,
  SessionInfo,
  VerifyOutcome,
  VerifyRequest,
} from '../../src/core/backup.js';

/** One call the fake engine received, in order. */
export type BackupCall =
  | { method: 'backup'; req: BackupRequest }
  | { method: 'verify'; req: VerifyRequest }
  | { method: 'sessions'; database: string }
  | { method: 'restore'; req: RestoreRequest }
  | { method: 'partialLoad'; req: PartialRequest }
  | { method: 'partialMerge'; req: Omit<PartialRequest, 'file'> }
  | { method: 'pitrReadiness' }
  | { method: 'baseBackup'; req: { runId: string; operator: string; dryRun: boolean } }
  | { method: 'pitrRecover'; req: PitrRecoverRequest };

/** What the fake answers: outcomes per method, and the events each method emits before it returns. */
export interface BackupScript {
  backup?: BackupOutcome;
  verify?: VerifyOutcome;
  sessions?: SessionInfo[];
  restore?: RestoreOutcome;
  partialLoad?: PartialOutcome;
  partialMerge?: PartialOutcome;
  pitrReadiness?: { checks: PitrCheck[]; ready: boolean };
  baseBackup?: BackupOutcome;
  pitrRecover?: PitrOutcome;
  /** Emitted (in order) by whichever method runs, before it returns its outcome. */
  events?: BackupEvent[];
}

/**
 * A fake backup engine for step unit tests: records every call (with its request), emits the scripted events
 * and returns the scripted outcome. A method without a scripted outcome throws, so an unexpected call fails the
 * test loudly.
 */
export class FakeBackups implements BackupPort {
  readonly dir = '/var/backups/parlant';
  readonly calls: BackupCall[] = [];
  /** The signal each call received (the step must pass ctx.signal through). */
  readonly signals: AbortSignal[] = [];

  /** `log`: a timeline shared with the test harness; every call appends its method name. */
  constructor(
    private readonly script: BackupScript = {},
    private readonly log?: string[],
  ) {}

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  private answer<T>(name: keyof BackupScript, emit: EmitBackup | undefined, signal: AbortSignal | undefined): T {
    this.log?.push(name);
    if (signal) this.signals.push(signal);
    for (const e of this.script.events ?? []) emit?.(e);
    const v = this.script[name];
    if (v === undefined) throw new Error(`FakeBackups: no scripted outcome for ${name}`);
    return structuredClone(v) as T;
  }

  async backup(req: BackupRequest, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome> {
    this.calls.push({ method: 'backup', req });
    return this.answer('backup', emit, signal);
  }
  async verify(req: VerifyRequest, emit: EmitBackup, signal: AbortSignal): Promise<VerifyOutcome> {
    this.calls.push({ method: 'verify', req });
    return this.answer('verify', emit, signal);
  }
  async sessions(database: string): Promise<SessionInfo[]> {
    this.calls.push({ method: 'sessions', database });
    this.log?.push('sessions');
    return structuredClone(this.script.sessions ?? []);
  }
  async restore(req: RestoreRequest, emit: EmitBackup, signal: AbortSignal): Promise<RestoreOutcome> {
    this.calls.push({ method: 'restore', req });
    return this.answer('restore', emit, signal);
  }
  async partialLoad(req: PartialRequest, emit: EmitBackup, signal: AbortSignal): Promise<PartialOutcome> {
    this.calls.push({ method: 'partialLoad', req });
    return this.answer('partialLoad', emit, signal);
  }
  async partialMerge(req: Omit<PartialRequest, 'file'>, emit: EmitBackup, signal: AbortSignal): Promise<PartialOutcome> {
    this.calls.push({ method: 'partialMerge', req });
    return this.answer('partialMerge', emit, signal);
  }
  async pitrReadiness(emit: EmitBackup, signal: AbortSignal): Promise<{ checks: PitrCheck[]; ready: boolean }> {
    this.calls.push({ method: 'pitrReadiness' });
    return this.answer('pitrReadiness', emit, signal);
  }
  async baseBackup(req: { runId: string; operator: string; dryRun: boolean }, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome> {
    this.calls.push({ method: 'baseBackup', req });
    return this.answer('baseBackup', emit, signal);
  }
  async pitrRecover(req: PitrRecoverRequest, emit: EmitBackup, signal: AbortSignal): Promise<PitrOutcome> {
    this.calls.push({ method: 'pitrRecover', req });
    return this.answer('pitrRecover', emit, signal);
  }
}
