/**
 * The SQLite connection's lock (connection-lock.ts): a free lock is taken in the caller's own
 * call; holders alone exclude everyone, sharers only each other's waiters; waiters go in arrival
 * order; a failing holder still releases; and Kysely's queries take it, through the dialect.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.ts';
import { ConnectionLock } from '../src/storage/sqlite/connection-lock.ts';

/** A promise the test resolves itself. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** A turn of the event loop: every microtask queued so far has run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('the connection lock', () => {
  it('runs the first holder before run returns, and the next only once it has settled', async () => {
    const lock = new ConnectionLock();
    const log: string[] = [];
    const first = gate();
    const done = lock.run(async () => {
      log.push('first');
      await first.opened;
    });
    log.push('returned');
    const second = lock.run(async () => {
      log.push('second');
    });
    await turn();
    expect(log).toEqual(['first', 'returned']);
    first.open();
    await Promise.all([done, second]);
    expect(log).toEqual(['first', 'returned', 'second']);
  });

  it('serves waiters in the order they came', async () => {
    const lock = new ConnectionLock();
    const log: number[] = [];
    const held = gate();
    const all = [lock.run(() => held.opened)];
    for (const i of [1, 2, 3]) all.push(lock.run(async () => void log.push(i)));
    await turn();
    expect(log).toEqual([]);
    held.open();
    await Promise.all(all);
    expect(log).toEqual([1, 2, 3]);
  });

  it('lets sharers join each other at once, but not past someone waiting to hold it alone', async () => {
    const lock = new ConnectionLock();
    const log: string[] = [];
    const a = gate();
    const b = gate();
    const shared = [
      lock.share(async () => {
        log.push('a');
        await a.opened;
      }),
      lock.share(async () => {
        log.push('b');
        await b.opened;
      }),
    ];
    expect(log).toEqual(['a', 'b']); // both before share returned
    const alone = lock.run(async () => void log.push('alone'));
    const late = [lock.share(async () => void log.push('c')), lock.share(async () => void log.push('d'))];
    a.open();
    await turn();
    expect(log).toEqual(['a', 'b']); // b still holds it: neither the waiter alone nor the sharers behind it ran
    b.open();
    await Promise.all([...shared, alone, ...late]);
    expect(log).toEqual(['a', 'b', 'alone', 'c', 'd']);
  });

  it('releases the lock when its holder throws or rejects', async () => {
    const lock = new ConnectionLock();
    await expect(
      lock.run(() => {
        throw new Error('thrown');
      }),
    ).rejects.toThrow('thrown');
    await expect(lock.share(() => Promise.reject(new Error('rejected')))).rejects.toThrow('rejected');
    let ran = false;
    await lock.run(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it("is the lock Kysely's queries take on the server's SQLite connection", async () => {
    const database = await openDatabase('sqlite::memory:');
    try {
      const lock = database.sqlite?.lock;
      if (lock === undefined) throw new Error('no lock on SQLite');
      const held = gate();
      const holding = lock.run(() => held.opened);
      let answered = false;
      const query = sql<{ one: number }>`select 1 as one`.execute(database.db).then((r) => {
        answered = true;
        return r.rows[0]?.one;
      });
      for (let i = 0; i < 5; i++) await turn();
      expect(answered).toBe(false);
      held.open();
      await holding;
      expect(await query).toBe(1);
      // And the other way round: a transaction holds it until it commits.
      const inTransaction = gate();
      const log: string[] = [];
      const transaction = database.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        log.push('in transaction');
        await inTransaction.opened;
        log.push('committing');
      });
      while (log.length === 0) await turn();
      const batch = lock.run(async () => void log.push('batch'));
      for (let i = 0; i < 5; i++) await turn();
      expect(log).toEqual(['in transaction']);
      inTransaction.open();
      await Promise.all([transaction, batch]);
      expect(log).toEqual(['in transaction', 'committing', 'batch']);
    } finally {
      await database.close();
    }
  });
});
