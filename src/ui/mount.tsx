import { render, type Instance } from 'ink';
import { HomeScreen, type HomeScreenProps } from './HomeScreen.js';
import { RunScreen, type RunScreenProps } from './RunScreen.js';

/** Where a screen draws and reads keys; the real terminal unless a test or the bench passes its own. */
export interface ScreenIo {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
}

const processIo = (): ScreenIo => ({ stdout: process.stdout, stdin: process.stdin, stderr: process.stderr });

/**
 * Ink's options for every screen: Ctrl+C is ours (it asks before aborting), console output is not captured,
 * at most 20 frames a second. Not `incrementalRendering`: in Ink 6.8 it moves the cursor one row short when
 * the frame ends in a newline (always, below full screen height), so every frame lands a row lower and the
 * screen fills with copies of the banner. Each frame is rewritten whole instead; the store and the clock
 * keep frames few (test/bench/render measures the bytes).
 */
function options(io: ScreenIo): Parameters<typeof render>[1] {
  return { ...io, exitOnCtrlC: false, patchConsole: false, maxFps: 20 };
}

export function mountRun(props: RunScreenProps, io: ScreenIo = processIo()): Instance {
  return render(<RunScreen {...props} />, options(io));
}

/** Show the home screen until the operator picks; the screen is cleared before the pick is returned. */
export function mountHome(props: Omit<HomeScreenProps, 'onPick'>, io: ScreenIo = processIo()): Promise<string | null> {
  return new Promise((resolve) => {
    let done = false;
    const app: Instance = render(
      <HomeScreen
        {...props}
        onPick={(choice) => {
          if (done) return;
          done = true;
          // Clear first, so the run screen that follows starts on a clean terminal and not under this frame.
          app.clear();
          app.unmount();
          resolve(choice);
        }}
      />,
      options(io),
    );
  });
}
