/**
 * Throwaway PostgreSQL databases for tests: created on the server at PARLEY_TEST_PG_URL (default
 * the local `postgres` user, as on CI) and dropped afterwards. PostgreSQL is required, not
 * optional: an unreachable server fails the test with advice rather than skipping it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const adminUrl = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** A connection URL for the new, empty database. */
  readonly url: string;
  /** Drops it, ending any connection a failed test left open. */
  drop(): Promise<void>;
}

/** The admin URL without its password, for error messages. */
function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is required for the server tests but is not reachable at ${redacted(adminUrl)} ` +
        `(${(e as Error).message}). Start PostgreSQL on localhost with trust authentication for ` +
        'user postgres, or point PARLEY_TEST_PG_URL at a server where that user may create databases.',
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `parley_test_${randomBytes(8).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // WITH (FORCE) (PostgreSQL 13+) ends any connection a failed test left open.
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)).then(() => undefined),
  };
}
