import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigNotFoundError } from '../core/config.js';
import { EXIT } from '../core/events.js';
import { MigrationFileError } from '../core/migrations.js';
import { DbError } from '../core/ports.js';
import { FileProblemsError, RunbookNotFoundError } from '../core/loader.js';
import { RunLockedError } from '../core/runlock.js';
import { ConnectionError } from '../db/connect.js';
import { ConnectionConfigError, redactUrl } from '../db/connection.js';
import { SandboxError } from '../sandbox/cluster.js';
import { backupsListCommand, backupsVerifyCommand } from './backups.js';
import { homeCommand, listCommand, reportCommand, showCommand } from './commands.js';
import { runCommand } from './run.js';
import { ensureSandbox, sandboxCommand } from './sandbox.js';
import { sandboxAppCommand } from './sandbox-app.js';
import { statusCommand } from './status.js';
import { basics, UsageError, type GlobalOptions } from './session.js';
import { toolVersion } from './version.js';

/**
 * The command line (README: CLI contract). Commander parses; each command returns an exit code; `main` is
 * the only place that turns errors into messages and exit codes (STYLE §1, §9).
 */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('parlant-runbook')
    .description('Walk PostgreSQL operators through adding the Parlant schema to a Sim database: checks, backups, migration, rollback, incidents.')
    .version(toolVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run parlant-runbook --help for usage)')
    .addOption(new Option('--db <url|target>', 'database: postgresql:// URL, conninfo, or a target named in the config (else DATABASE_URL, PG* variables)'))
    .addOption(new Option('--env <env>', 'environment of the target (overrides the config)').choices(['dev', 'staging', 'production']))
    .option('--plain', 'line mode: one line per event, no TUI (automatic when not a terminal)')
    .option('--json', 'one JSON object per event on stdout')
    .option('--yes', 'answer yes to confirmations (never to destructive steps)')
    .option('--confirm <dbname>', 'confirm destructive steps on this database when not interactive')
    .option('--dry-run', 'show what each step would do; run nothing that writes')
    .option('--no-color', 'no colour (also NO_COLOR=1 or TERM=dumb)')
    .option('--state-dir <dir>', 'where runs, backups and the sandbox live (default $PARLANT_RUNBOOK_HOME)')
    .option('--config <file>', 'config file (default ./parlant-runbook.config.yaml, then the state dir)')
    .option('--var <key=value>', 'set a runbook variable or answer a choice (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .enablePositionalOptions(false)
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 done · 1 a step failed · 2 usage, configuration, runbook or connection error · 3 refused by a safety gate · 130 aborted

Examples:
  npm run demo                                  sandbox + home
  parlant-runbook sandbox start                 prints the sandbox URL
  parlant-runbook --db "$(parlant-runbook sandbox url)" run tour --plain
  parlant-runbook run rollback --confirm sim    destructive steps need the database name
  parlant-runbook report latest`,
    );

  const g = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();
  const act = (f: (...args: never[]) => Promise<number>) => async (...args: unknown[]): Promise<void> => {
    setExit(await (f as (...a: unknown[]) => Promise<number>)(...args));
  };

  program.action(
    act(async () => {
      const b = await basics(g(program));
      return homeCommand(b, async (choice) => {
        if (choice.startsWith('resume:')) return runCommand(choice.slice(7), b, { resume: 'latest' });
        return runCommand(choice, b, {});
      });
    }),
  );

  program
    .command('list')
    .description('the runbooks: id, title, risk, step count (--plain: tab-separated)')
    .action(act(async (_o: unknown, cmd: Command) => listCommand(await basics(g(cmd)))));

  program
    .command('show <runbook>')
    .description('every step of a runbook: what it does, what it touches, whether it is destructive')
    .action(act(async (ref: string, _o: unknown, cmd: Command) => showCommand(ref, await basics(g(cmd)))));

  program
    .command('run <runbook>')
    .description('walk a runbook (an id from `list` or a path to a YAML file)')
    .option('--resume <run-id|latest>', 'continue an unfinished run; finished steps are not repeated')
    .action(act(async (ref: string, o: { resume?: string }, cmd: Command) => runCommand(ref, await basics(g(cmd)), o)));

  program
    .command('status')
    .description('the Parlant migrations: applied / pending / failed / drift, when, by whom; other tools found')
    .option('--dir <path>', 'the migrations directory (default: the packaged sql/migrations)')
    .action(act(async (o: { dir?: string }, cmd: Command) => statusCommand(await basics(g(cmd)), o)));

  const backups = program
    .command('backups')
    .description('the backup catalogue: age, kind, size, verified or not (stale ones stand out); `backups verify <file>`')
    .action(act(async (_o: unknown, cmd: Command) => backupsListCommand(await basics(g(cmd)))));
  backups
    .command('list')
    .description('the catalogue (the same as `backups`)')
    .action(act(async (_o: unknown, cmd: Command) => backupsListCommand(await basics(g(cmd)))));
  backups
    .command('verify <file>')
    .description('verify one archive (checksum, pg_restore --list, full read); exit 1 when it fails')
    .option('--trial-restore', 'also restore it into a scratch database and compare row counts')
    .action(act(async (file: string, o: { trialRestore?: boolean }, cmd: Command) => backupsVerifyCommand(file, o, await basics(g(cmd)))));

  const sandbox = program.command('sandbox').description('a throwaway PostgreSQL database that looks like Sim');
  sandbox
    .command('start')
    .description('start it (or reuse the running one) and print its URL')
    .option('--scale <n>', 'multiply the synthetic rows (1: 2,000 users, 1,000 workspaces, 10,000 workflows)', parseScale, 1)
    .action(act(async (o: { scale: number }, cmd: Command) => sandboxCommand('start', await basics(g(cmd)), o.scale)));
  for (const [name, what] of [
    ['stop', 'stop it and delete its files'],
    ['status', 'say whether it runs'],
    ['url', 'print its URL'],
  ] as const) {
    sandbox
      .command(name)
      .description(what)
      .action(act(async (_o: unknown, cmd: Command) => sandboxCommand(name, await basics(g(cmd)), 1)));
  }
  const sandboxApp = sandbox.command('app').description('a stand-in Sim app on the sandbox, wired into the config as app.stop/app.start/app.health_url');
  for (const [name, what] of [
    ['start', 'start it (or reuse it) and print its health URL'],
    ['stop', 'stop it (SIGTERM, then SIGKILL)'],
    ['status', 'say whether it runs and is healthy'],
  ] as const) {
    sandboxApp.command(name).description(what).action(act(async (_o: unknown, cmd: Command) => sandboxAppCommand(name, await basics(g(cmd)))));
  }
  sandbox
    .command('reset')
    .description('rebuild it from scratch')
    .option('--scale <n>', 'multiply the synthetic rows', parseScale, 1)
    .action(act(async (o: { scale: number }, cmd: Command) => sandboxCommand('reset', await basics(g(cmd)), o.scale)));

  program
    .command('demo')
    .description('start the sandbox and open the home on it')
    .option('--scale <n>', 'multiply the synthetic rows', parseScale, 1)
    .action(
      act(async (o: { scale: number }, cmd: Command) => {
        const b = await basics(g(cmd));
        const url = await ensureSandbox(b, o.scale);
        const withDb = await basics({ ...g(cmd), db: url, env: 'dev' });
        return homeCommand(withDb, async (choice) =>
          choice.startsWith('resume:') ? runCommand(choice.slice(7), withDb, { resume: 'latest' }) : runCommand(choice, withDb, {}),
        );
      }),
    );

  program
    .command('report <run-id|latest>')
    .description('the audit trail of a run: target, operator, every step, timings, decisions')
    .option('--format <fmt>', 'md or json', 'md')
    .action(act(async (which: string, o: { format: string }, cmd: Command) => reportCommand(which, o.format, await basics(g(cmd)))));

  return program;
}

function parseScale(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('the scale is a whole number from 1 to 1000.');
  return n;
}

/** Map an error to the operator's message and an exit code. Never a stack trace for an expected failure. */
export function explain(e: unknown): { code: number; message: string } {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return { code: EXIT.done, message: '' };
    return { code: EXIT.usage, message: '' }; // commander already printed its message
  }
  if (e instanceof FileProblemsError || e instanceof RunbookNotFoundError || e instanceof UsageError || e instanceof ConfigNotFoundError) {
    return { code: EXIT.usage, message: e.message };
  }
  if (e instanceof ConnectionConfigError || e instanceof ConnectionError) return { code: EXIT.usage, message: e.message };
  if (e instanceof SandboxError) return { code: EXIT.usage, message: e.message };
  if (e instanceof RunLockedError) return { code: EXIT.refused, message: e.message };
  if (e instanceof MigrationFileError) return { code: EXIT.refused, message: e.message };
  if (e instanceof DbError) return { code: EXIT.stepFailed, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    code: EXIT.stepFailed,
    message: `Unexpected error (a bug in parlant-runbook; please report it with this text): ${redactUrl(err.stack ?? err.message)}`,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.done;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return code;
  } catch (e: unknown) {
    const { code: c, message } = explain(e);
    if (message) process.stderr.write(`${message}\n`);
    return c;
  }
}
