import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/storage/index.ts';
import { PreparedQuery, type SlotOf } from '../src/storage/prepared-query.ts';

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

  it('insertOn returns the new row’s rowid: a mailbox message’s seq, as RETURNING gives it', async () => {
    const sqlite = database.sqlite?.connection;
    if (sqlite === undefined) throw new Error('not SQLite');
    const mailbox = new Uint8Array(16).fill(9);
    await database.db
      .insertInto('mailboxes')
      .values({ mailbox_id: mailbox, recipient_key: new Uint8Array(32), sender_key: new Uint8Array(32), created_at: 1 })
      .execute();
    const values = (d: number) => [Buffer.from(mailbox), Buffer.alloc(32, d), Buffer.from([d]), 1, 2];
    const insert = (db: typeof database.db, $: SlotOf) =>
      db
        .insertInto('mailbox_messages')
        .values({ mailbox_id: $(0), digest: $(1), envelope: $(2), received_at: $(3), expires_at: $(4) });
    const returning = new PreparedQuery(database.db, (db, $) => insert(db, $).returning('seq'));
    const plain = new PreparedQuery(database.db, insert);
    const first = Number(returning.getOn(sqlite, values(1))?.seq);
    const second = plain.insertOn(sqlite, values(2));
    const third = Number(returning.getOn(sqlite, values(3))?.seq);
    expect([second - first, third - second]).toEqual([1, 1]);
    const seqs = await database.db.selectFrom('mailbox_messages').select('seq').orderBy('seq').execute();
    expect(seqs.map((r) => Number(r.seq))).toEqual([first, second, third]);
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
