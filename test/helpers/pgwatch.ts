import pg from 'pg';

/**
 * Watches the server for the `slow.yaml` fixture's `SELECT pg_sleep(60)`: how many sessions run it now.
 * Tests use it to act once the query really runs, and to prove that a cancel removed it from the server.
 */
export interface SleepWatch {
  count(): Promise<number>;
  /** Poll until `n` sessions run it (or ~10 s pass); returns the last count. */
  until(n: number): Promise<number>;
  end(): Promise<void>;
}

export async function watchSleep(superuserUrl: string): Promise<SleepWatch> {
  const su = new pg.Client({ connectionString: superuserUrl });
  // The server may be stopped on purpose while we watch; the loss must not crash the test process.
  su.on('error', () => undefined);
  await su.connect();
  const count = async (): Promise<number> =>
    Number((await su.query("SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%' AND state = 'active'")).rows[0].n);
  return {
    count,
    async until(n) {
      for (let i = 0; i < 100; i++) {
        const c = await count();
        if (c === n) return c;
        await new Promise((r) => setTimeout(r, 100));
      }
      return count();
    },
    end: () => su.end().catch(() => undefined),
  };
}
