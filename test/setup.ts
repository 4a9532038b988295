// Pin the environment so tests do not depend on the developer's shell (STYLE §11).
// Ink renders only the final frame when it believes it runs in CI (is-in-ci), which would blank every component
// test on a CI machine; the tests themselves decide interactivity explicitly (child processes get CI=1).
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
for (const k of Object.keys(process.env)) if (k.startsWith('CI_')) delete process.env[k];
process.env.NO_COLOR = '1';
process.env.TZ = 'UTC';
delete process.env.FORCE_COLOR;
delete process.env.DATABASE_URL;
for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE', 'PGSERVICE', 'PGPASSFILE', 'PGSERVICEFILE']) {
  delete process.env[k];
}
