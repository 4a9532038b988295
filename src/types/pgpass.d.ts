// Minimal types for the untyped `pgpass` package (1.x). We call its helper directly because the package's main
// function reads process.env and HOME itself, while our resolution takes the environment as a parameter.

declare module 'pgpass/lib/helper.js' {
  import type { Readable } from 'node:stream';

  export interface PgpassConnInfo {
    host?: string;
    port?: string | number;
    database?: string;
    user?: string;
  }

  export interface PgpassEntry {
    host: string;
    port: string;
    database: string;
    user: string;
    password: string;
  }

  interface PgpassHelper {
    /** Reads the stream line by line and calls back with the password of the first matching line, if any. */
    getPassword(connInfo: PgpassConnInfo, stream: Readable, cb: (password: string | undefined) => void): void;
    parseLine(line: string): PgpassEntry | null;
    isValidEntry(entry: PgpassEntry): boolean;
    match(connInfo: PgpassConnInfo, entry: PgpassEntry): boolean;
    getFileName(env?: NodeJS.ProcessEnv): string;
  }

  const helper: PgpassHelper;
  export default helper;
}

declare module 'pgpass' {
  import type { PgpassConnInfo } from 'pgpass/lib/helper.js';

  function pgpass(connInfo: PgpassConnInfo, cb: (password: string | undefined) => void): void;
  export default pgpass;
}
