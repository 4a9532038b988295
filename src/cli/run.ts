import * as clack from '@clack/prompts';
import os from 'node:os';
import path from 'node:path';
import { runEngine } from '../core/engine.js';
import { EXIT, type RunEvent } from '../core/events.js';
import { findUnfinished, JournalWriter, listRuns, newRunId, readRun, type RunSummary } from '../core/journal.js';
import { timeBoxesMs } from '../core/config.js';
import { withTimeBoxes } from '../core/incidentClock.js';
import { loadRunbook, sqlSearchPath } from '../core/loader.js';
import type { Runbook } from '../core/model.js';
import { acquireRunLock, isAlive, readLock } from '../core/runlock.js';
import { isResumable, type RunState } from '../core/state.js';
import { jsonLine, PlainReporter } from '../plain/reporter.js';
import { handlers } from '../steps/index.js';
import { flagDecider, promptDecider, type DecisionFlags } from './decide.js';
import type { Frontend } from './frontend.js';
import { describeTarget } from '../db/connection.js';
import { inCi, openSession, operatorName, resolveFor, targetKey, UsageError, type Basics } from './session.js';
import { toolVersion } from './version.js';

export interface RunCommandOptions {
  resume?: string;
}

/** `run <runbook>`: walk a runbook against the target, journaling every event. Returns the exit code. */
export async function runCommand(ref: string, b: Basics, o: RunCommandOptions): Promise<number> {
  const runbook = withConfiguredTimeBoxes(await loadRunbook(ref, b.runbooksDir, b.root), b);
  const vars = { ...(runbook.vars ?? {}), ...b.vars };

  // The target first (no connection yet): its key finds an unfinished run to resume.
  const resolved = await resolveFor(b);
  const key = targetKey(resolved);

  let resume: RunSummary | undefined;
  if (o.resume) {
    resume = await findResume(b, o.resume, runbook, key);
  } else {
    const unfinished = await findUnfinished(b.stateDir, runbook.id, key);
    const holder = unfinished ? readLock(unfinished.dir) : undefined;
    if (unfinished && holder && isAlive(holder.pid)) {
      // Another terminal is walking the same runbook against the same database right now: say so loudly.
      b.err(
        `${b.paint.warn('warning:')} run ${unfinished.runId} of ${runbook.id} against ${describeTarget(resolved)} is in progress in another process ` +
          `(pid ${holder.pid}, ${holder.operator}@${holder.host}). Two operators on one database should agree who goes first.\n`,
      );
    } else if (unfinished) {
      const done = unfinished.state.steps.filter((s) => ['passed', 'warned', 'skipped'].includes(s.status)).length;
      const what = `An unfinished run of ${runbook.id} against ${describeTarget(resolved)} exists: ${unfinished.runId} (${unfinished.state.status}, ${done}/${unfinished.state.steps.length} steps done).`;
      if (b.interactive) {
        const v = await clack.select({
          message: what,
          options: [
            { value: 'resume', label: 'Resume it (finished steps are not repeated)' },
            { value: 'new', label: 'Start a new run' },
          ],
        });
        if (clack.isCancel(v)) return EXIT.aborted;
        if (v === 'resume') resume = unfinished;
      } else {
        b.err(`${what} Starting a new run; pass --resume latest to continue that one instead.\n`);
      }
    }
  }
  if (resume && !resume.verify.ok) {
    throw new UsageError(`Run ${resume.runId} can't be resumed: its journal does not verify (line ${resume.verify.badLine}: ${resume.verify.problem}). Start a new run.`);
  }

  const runId = resume?.runId ?? newRunId(runbook.id);
  const runDir = path.join(b.stateDir, 'runs', runId);
  // Connect before anything is written: a run that could not even connect leaves no journal behind.
  const session = await openSession(b, runId, resolved);
  let journal: JournalWriter;
  let releaseLock: () => void;
  try {
    if (resume && resume.state.target?.key !== session.info.key) {
      throw new UsageError(`Run ${runId} was against ${resume.state.target?.display}, not ${session.info.display}.`);
    }
    journal = resume ? JournalWriter.reopen(resume.journal).writer : JournalWriter.create(runDir);
    try {
      releaseLock = acquireRunLock(runDir, runId, { operator: operatorName(), host: os.hostname() });
    } catch (e) {
      journal.close();
      throw e;
    }
  } catch (e) {
    await session.close();
    throw e;
  }

  const controller = new AbortController();
  let interrupted: string | undefined;
  const flags = { yes: Boolean(b.opts.yes), confirm: b.opts.confirm, vars: b.vars, dryRun: Boolean(b.opts.dryRun), answered: new Map<string, number>() };
  const forceQuit = (): void => {
    frontend.close();
    journal.append({ type: 'run-interrupted', at: Date.now(), reason: 'quit with a second Ctrl+C' });
    process.exit(EXIT.aborted);
  };
  const requestAbort = (): void => controller.abort();
  const tui = b.interactive && !process.env.PARLANT_RUNBOOK_NO_TUI ? await (await import('./tui-mode.js')).tuiFrontend({ runbook, flags, requestAbort, forceQuit, colour: b.colour, ...(resume ? { initial: resume.state } : {}) }) : undefined;
  const frontend: Frontend = tui ?? lineFrontend(b, flags, requestAbort, resume?.state);
  const emit = (e: RunEvent): void => {
    // A dropped SSH link is not an abort: the run stays resumable and says why it stopped.
    const event: RunEvent = e.type === 'run-finished' && interrupted ? { type: 'run-interrupted', at: e.at, reason: interrupted } : e;
    journal.append(event);
    frontend.emit(event);
  };

  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints === 1) {
      b.err(`\n${b.paint.warn('Stopping: cancelling the running step… (Ctrl+C again to quit at once)')}\n`);
      requestAbort();
    } else forceQuit();
  };
  const onHangup = (signal: NodeJS.Signals): void => {
    interrupted = signal === 'SIGHUP' ? 'the terminal went away (SIGHUP)' : `stopped by ${signal}`;
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', onHangup);

  let final: RunState;
  try {
    final = await runEngine({
      runbook,
      runId,
      handlers,
      ports: session.ports,
      config: session.stepConfig,
      target: session.info,
      operator: operatorName(),
      host: os.hostname(),
      toolVersion: toolVersion(),
      vars,
      dryRun: flags.dryRun,
      stepGate: frontend.stepGate,
      askOnFailure: frontend.askOnFailure,
      decide: frontend.decide,
      emit,
      signal: controller.signal,
      sqlSearchPath: sqlSearchPath(runbook.source, b.root),
      ...(resume ? { resume: resume.state } : {}),
    });
    if (!interrupted) await frontend.finish(final);
  } finally {
    frontend.close();
    process.off('SIGINT', onSigint);
    process.off('SIGHUP', onHangup);
    process.off('SIGTERM', onHangup);
    journal.close();
    releaseLock();
    await session.close();
  }
  if (interrupted) return EXIT.aborted;
  return final.exitCode ?? EXIT.stepFailed;
}

/**
 * The configuration's incident.time_boxes replace an incident runbook's boxes for this run (a drill, a test):
 * the journal records the boxes used, so the report's timeline judges overruns by the same clock. A name that
 * is not one of the runbook's phases is said, never fatal.
 */
function withConfiguredTimeBoxes(runbook: Runbook, b: Basics): Runbook {
  const boxes = timeBoxesMs(b.config.config);
  if (!boxes || !runbook.incident) return runbook;
  const { phases, unknown } = withTimeBoxes(runbook.incident.phases, boxes);
  if (unknown.length) {
    b.err(
      `${b.paint.warn('warning:')} incident.time_boxes in ${b.config.file ?? 'the config'} names ${unknown.map((n) => `"${n}"`).join(', ')}, not ${unknown.length === 1 ? 'a phase' : 'phases'} of ${runbook.id} ` +
        `(${runbook.incident.phases.map((p) => p.name).join(', ')}); ${unknown.length === 1 ? 'it is' : 'they are'} ignored.\n`,
    );
  }
  return { ...runbook, incident: { ...runbook.incident, phases } };
}

/** Line mode: the plain reporter (or --json), answering from flags, or from prompts on a terminal. */
function lineFrontend(b: Basics, flags: DecisionFlags, requestAbort: () => void, initial?: RunState): Frontend {
  const reporter = b.opts.json ? undefined : new PlainReporter(b.out, b.paint, process.stdout.columns || 100, process.stdout.isTTY ? process.stdout.columns : undefined, initial);
  const prompts = !inCi() && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY) && !b.opts.json;
  return {
    emit: (e) => (b.opts.json ? b.out(jsonLine(e)) : reporter?.handle(e)),
    decide: prompts ? promptDecider(flags, requestAbort) : flagDecider(flags),
    stepGate: false,
    askOnFailure: prompts,
    finish: async () => undefined,
    close: () => undefined,
  };
}

async function findResume(b: Basics, which: string, runbook: Runbook, targetKey: string): Promise<RunSummary> {
  if (which === 'latest') {
    const r = await findUnfinished(b.stateDir, runbook.id, targetKey);
    if (!r) throw new UsageError(`There is no unfinished run of ${runbook.id} against this target to resume. Leave out --resume to start a new run.`);
    return r;
  }
  const r = await readRun(path.join(b.stateDir, 'runs', which));
  if (!r) {
    const ids = (await listRuns(b.stateDir)).slice(0, 5).map((x) => x.runId);
    throw new UsageError(`No run "${which}" in ${path.join(b.stateDir, 'runs')}.${ids.length ? ` Recent runs: ${ids.join(', ')}.` : ''}`);
  }
  if (r.state.runbook?.id !== runbook.id) throw new UsageError(`Run ${which} is of runbook ${r.state.runbook?.id}, not ${runbook.id}.`);
  if (!isResumable(r.state)) throw new UsageError(`Run ${which} finished (${r.state.status}); there is nothing to resume. Start a new run.`);
  return r;
}
