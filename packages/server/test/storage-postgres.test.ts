/**
 * The storage conformance suite on PostgreSQL, in a fresh database that is dropped afterwards.
 * PostgreSQL is required, not optional: CI runs it on localhost, so an unreachable server fails
 * this file rather than skipping it. Override the server with PARLEY_TEST_PG_URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.ts';
import { StorageError } from '../src/storage/errors.ts';
import { runStorageConformance } from './storage-conformance.ts';
import { logicalSchema } from './storage-schema.ts';

const adminUrl = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const databaseName = `parley_test_${randomBytes(8).toString('hex')}`;
const testUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();

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
      `PostgreSQL is required for the storage tests but is not reachable at ${redacted(adminUrl)} ` +
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

let created = false;

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(databaseName)}`));
  created = true;
});

afterAll(async () => {
  // WITH (FORCE) (PostgreSQL 13+) ends any connection a failed test left open.
  if (created) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`));
});

runStorageConformance('postgres', () => openDatabase(testUrl));

describe('openDatabase on PostgreSQL', () => {
  it('reports an unreachable server as a dependency failure', async () => {
    await expect(openDatabase('postgres://postgres@127.0.0.1:1/nowhere')).rejects.toSatisfy((e) =>
      StorageError.is(e, 'dependency'),
    );
  });

  it('has the same logical schema as SQLite', async () => {
    const postgres = await openDatabase(testUrl);
    const sqlite = await openDatabase('sqlite::memory:');
    try {
      expect(await logicalSchema(postgres)).toEqual(await logicalSchema(sqlite));
    } finally {
      await Promise.all([postgres.close(), sqlite.close()]);
    }
  });

  it('opens with a postgresql:// URL too', async () => {
    const database = await openDatabase(testUrl.replace(/^postgres:/, 'postgresql:'));
    expect(database.dialect).toBe('postgres');
    await database.close();
  });
});
