import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.ts';
import { StorageError } from '../src/storage/errors.ts';
import { runStorageConformance } from './storage-conformance.ts';
import { EXPECTED_SCHEMA, logicalSchema } from './storage-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-storage-'));
const path = join(dir, 'parley.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStorageConformance('sqlite', () => openDatabase({ sqlitePath: path }));

describe('openDatabase on SQLite', () => {
  it('sets the durability and integrity pragmas', async () => {
    const database = await openDatabase(`sqlite:${path}`);
    try {
      expect(database.dialect).toBe('sqlite');
      const pragma = async (name: string) => {
        const { rows } = await sql<Record<string, unknown>>`select * from ${sql.raw(`pragma_${name}`)}`.execute(
          database.db,
        );
        return Object.values(rows[0] ?? {})[0];
      };
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
    } finally {
      await database.close();
      await database.close();
    }
  });

  it('opens an in-memory database from a URL', async () => {
    const database = await openDatabase('sqlite::memory:');
    try {
      expect(await logicalSchema(database)).toEqual(EXPECTED_SCHEMA);
    } finally {
      await database.close();
    }
  });

  it('rejects an unknown URL scheme and an unopenable path with typed errors', async () => {
    await expect(openDatabase('mysql://localhost/parley')).rejects.toSatisfy((e) => StorageError.is(e, 'usage'));
    await expect(openDatabase({ sqlitePath: join(dir, 'missing', 'x.db') })).rejects.toSatisfy((e) =>
      StorageError.is(e, 'dependency'),
    );
  });
});
