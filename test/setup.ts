// Pin the environment so tests do not depend on the developer's shell (STYLE §11).
process.env.NO_COLOR = '1';
process.env.TZ = 'UTC';
delete process.env.FORCE_COLOR;
delete process.env.DATABASE_URL;
for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE', 'PGSERVICE', 'PGPASSFILE', 'PGSERVICEFILE']) {
  delete process.env[k];
}
