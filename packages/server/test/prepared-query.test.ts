import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/storage/index.ts';
import { PreparedQuery } from '../src/storage/prepared-query.ts';

describe('prepared queries', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase('sqlite::memory:');
    for (const [i, expiresAt] of [
      [1, 100],
      [2, 200],
      [3, 300],
    ] as const) {
      await database.db
        .insertInto('auth_challenges')
        .values({ challenge: new Uint8Array(32).fill(i), expires_at: expiresAt })
        .execute();
    }
  });
  afterAll(() => database.close());

  it('binds each run’s values in their slots, whatever order the SQL needs them in, keeping constants', async () => {
    const q = new PreparedQuery(database.db, (db, $) =>
      db
        .selectFrom('auth_challenges')
        .select('expires_at')
        // Slot 1 comes first in the SQL text, then a constant, then slot 0.
        .where('expires_at', '>', $(1))
        .where('expires_at', '<>', 250)
        .where('expires_at', '<', $(0))
        .orderBy('expires_at'),
    );
    expect((await q.execute(database.db, [301, 50])).rows).toEqual([
      { expires_at: 100 },
      { expires_at: 200 },
      { expires_at: 300 },
    ]);
    expect((await q.execute(database.db, [250, 150])).rows).toEqual([{ expires_at: 200 }]);
    await database.db.transaction().execute(async (trx) => {
      expect((await q.execute(trx, [1000, 250])).rows).toEqual([{ expires_at: 300 }]);
    });
    expect(() => q.execute(database.db, [1])).toThrow(/2 values/);
  });

  it('refuses a slot that did not become a parameter', () => {
    expect(
      () =>
        new PreparedQuery(database.db, (db, $) => {
          $(1);
          return db.selectFrom('auth_challenges').select('expires_at').where('expires_at', '>', $(0));
        }),
    ).toThrow(/each slot exactly once/);
  });
});
