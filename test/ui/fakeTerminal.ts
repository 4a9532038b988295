import { EventEmitter } from 'node:events';
import stripAnsi from 'strip-ansi';

/** A terminal for the real Ink renderer (not ink-testing-library's debug mode): a TTY of a fixed size. */
export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  bytes = 0;
  private chunks: string[] = [];
  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write = (chunk: string | Uint8Array): boolean => {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    this.bytes += Buffer.byteLength(s);
    this.chunks.push(s);
    return true;
  };
  /** Everything written, escapes removed: enough to find words, not to reconstruct the screen. */
  text(): string {
    return stripAnsi(this.chunks.join(''));
  }
}

/** Keys for the renderer, with the raw-mode calls Ink makes on a terminal. */
export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  press(s: string): void {
    this.data = s;
    this.emit('readable');
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export function fakeIo(columns = 80, rows = 24) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const stderr = new FakeStdout(columns, rows);
  return {
    stdout,
    stdin,
    io: { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, stderr: stderr as unknown as NodeJS.WriteStream },
  };
}
