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
