/**
 * The storage conformance suite on PostgreSQL, in a fresh database that is dropped afterwards.
 * PostgreSQL is required, not optional: CI runs it on localhost, so an unreachable server fails
 * this file rather than skipping it. Override the server with PARLEY_TEST_PG_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.ts';
import { StorageError } from '../src/storage/errors.ts';
import { runGroupStoreConformance } from './group-store-conformance.ts';
import { createTestDatabase, type TestDatabase } from './postgres-kit.ts';
import { runStorageConformance } from './storage-conformance.ts';
import { logicalSchema } from './storage-schema.ts';

let db: TestDatabase | undefined;
let testUrl = '';

beforeAll(async () => {
  db = await createTestDatabase();
  testUrl = db.url;
});

afterAll(async () => {
  await db?.drop();
});

runStorageConformance('postgres', () => openDatabase(testUrl));
runGroupStoreConformance('postgres', () => openDatabase(testUrl));

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
