import { execa } from 'execa';
import { randomBytes } from 'node:crypto';

/**
 * A real terminal for end-to-end tests: a tmux server on its own socket, one session of a fixed size.
 * Tests wait for text on the screen with a deadline; they never sleep a fixed time.
 */
export class Tmux {
  readonly socket = `prb-${randomBytes(4).toString('hex')}`;
  constructor(
    readonly cols = 80,
    readonly rows = 24,
  ) {}

  private tmux(args: string[]): Promise<{ stdout: string }> {
    return execa('tmux', ['-L', this.socket, ...args], { reject: true }).then((r) => ({ stdout: String(r.stdout) }));
  }

  /** Start `command` (a shell string) in a new session with the given environment. */
  async start(command: string, env: Record<string, string> = {}): Promise<void> {
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}=${shellQuote(v)};`)
      .join(' ');
    await this.tmux(['new-session', '-d', '-s', 'main', '-x', String(this.cols), '-y', String(this.rows), `${exports} ${command}; echo "[exit $?]"; sleep 3600`]);
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', ...keys]);
  }

  async type(text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  async screen(): Promise<string> {
    return (await this.tmux(['capture-pane', '-p', '-t', 'main'])).stdout;
  }

  /** The whole scrollback, for line mode whose output is longer than one screen. */
  async history(): Promise<string> {
    return (await this.tmux(['capture-pane', '-p', '-S', '-5000', '-t', 'main'])).stdout;
  }

  async waitFor(pattern: RegExp | string, timeoutMs = 30_000, whole = false): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = whole ? await this.history() : await this.screen();
      if (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${String(pattern)}; the screen was:\n${last}`);
  }

  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-t', 'main', '-x', String(cols), '-y', String(rows)]);
  }

  async kill(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
  }
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The CLI in a fresh terminal of the given size against `dbUrl`, without colour. CI is unset inside it: the TUI
 * is only for interactive terminals. The terminal is added to `terms` for the caller's afterAll to kill.
 */
export async function launchCli(o: { bin: string; cwd: string; dbUrl: string; state: string; args: string; terms: Tmux[]; cols?: number; rows?: number }): Promise<Tmux> {
  const t = new Tmux(o.cols ?? 80, o.rows ?? 24);
  o.terms.push(t);
  await t.start(`unset CI CONTINUOUS_INTEGRATION; cd ${shellQuote(o.cwd)} && node ${o.bin} --state-dir ${shellQuote(o.state)} ${o.args}`, {
    DATABASE_URL: o.dbUrl,
    NO_COLOR: '1',
  });
  return t;
}

/** Press a key and wait for what it should bring on screen. */
export async function pressFor(t: Tmux, key: string, expected: string | RegExp, timeoutMs = 20_000): Promise<string> {
  await t.keys(key);
  return t.waitFor(expected, timeoutMs);
}
