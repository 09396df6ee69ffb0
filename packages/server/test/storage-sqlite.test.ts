import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.ts';
import { StorageError } from '../src/storage/errors.ts';
import { SqlMailboxStore } from '../src/storage/mailbox-store.ts';
import { migrations } from '../src/storage/migrations.ts';
import { runGroupStoreConformance } from './group-store-conformance.ts';
import { runStorageConformance } from './storage-conformance.ts';
import { EXPECTED_SCHEMA, logicalSchema } from './storage-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-storage-'));
const path = join(dir, 'parley.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStorageConformance('sqlite', () => openDatabase({ sqlitePath: path }));
runGroupStoreConformance('sqlite', () => openDatabase({ sqlitePath: path }));
// As the server opens it: checkpoints on a thread of their own (wal-checkpointer.ts).
runStorageConformance('sqlite with a checkpoint thread', () =>
  openDatabase({ sqlitePath: join(dir, 'checkpointed.db') }, { checkpointThread: true }),
);
// As the server opens it: mailbox batches on the writer thread too (sqlite-writer.ts).
runStorageConformance('sqlite with a writer thread', () =>
  openDatabase({ sqlitePath: join(dir, 'writer.db') }, { checkpointThread: true, writerThread: true }),
);

describe('the checkpoint thread', () => {
  it('copies committed pages into the database file without the writer checkpointing', async () => {
    const file = join(dir, 'checkpoint-thread.db');
    const database = await openDatabase({ sqlitePath: file }, { checkpointThread: true });
    try {
      const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(database.db);
      expect(rows[0]?.wal_autocheckpoint).toBe(10_000);
      const before = statSync(file).size;
      // About 2 MB: far below the writer's backstop of 10,000 pages, so only the thread copies it.
      for (let i = 0; i < 40; i++) {
        await database.db
          .insertInto('auth_challenges')
          .values({ challenge: randomBytes(32), expires_at: Date.now() + 60_000 + i })
          .execute();
        await sql`create table if not exists filler (b blob)`.execute(database.db);
        await sql`insert into filler values (${randomBytes(50_000)})`.execute(database.db);
      }
      const deadline = Date.now() + 5000;
      while (statSync(file).size < before + 1_000_000 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(statSync(file).size).toBeGreaterThan(before + 1_000_000);
    } finally {
      await database.close();
    }
  });
});

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

describe('synchronous group commits on SQLite', () => {
  it('wait for a Kysely transaction in progress instead of running inside it', async () => {
    const database = await openDatabase({ sqlitePath: join(dir, 'interleaved.db') });
    try {
      const mailboxes = new SqlMailboxStore(database);
      const { mailboxId } = await mailboxes.createMailbox({
        recipientKey: randomBytes(32),
        senderKey: randomBytes(32),
      });
      const limits = { ttlMs: 60_000, maxMessages: 10 };
      let enqueued: Promise<unknown> = Promise.resolve();
      // A transaction that yields to the event loop between statements, then rolls back. The
      // batch asked for meanwhile must neither fail ("transaction within a transaction") nor be
      // rolled back with it.
      await expect(
        database.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('auth_challenges')
            .values({ challenge: randomBytes(32), expires_at: 1 })
            .execute();
          enqueued = mailboxes.enqueue(mailboxId, randomBytes(50), limits);
          await new Promise((r) => setTimeout(r, 30));
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await expect(enqueued).resolves.toMatchObject({ duplicate: false });
      expect(await mailboxes.count(mailboxId)).toBe(1);
      const { rows } = await sql<{ n: number }>`select count(*) as n from auth_challenges`.execute(database.db);
      expect(rows[0]?.n).toBe(0);
    } finally {
      await database.close();
    }
  });

  it('leave the event loop a turn between batches, however fast callers queue again', async () => {
    const database = await openDatabase('sqlite::memory:');
    try {
      const mailboxes = new SqlMailboxStore(database);
      const keys = () => ({ recipientKey: randomBytes(32), senderKey: randomBytes(32) });
      const ids = await Promise.all(
        Array.from({ length: 2000 }, async () => (await mailboxes.createMailbox(keys())).mailboxId),
      );
      // Each caller queues its next write as soon as the last one resolved. Without a turn of the
      // event loop between batches this is one long chain of microtasks (measured: a 1 s timer
      // still had not fired after 30 s), so the timer would fire only after every caller is done.
      let cycles = 0;
      let atTimer = -1;
      const timer = new Promise<void>((resolve) =>
        setTimeout(() => {
          atTimer = cycles;
          resolve();
        }, 20),
      );
      await Promise.all(
        ids.map(async (id) => {
          for (let i = 0; i < 10; i++) {
            const { seq } = await mailboxes.enqueue(id, randomBytes(20), { ttlMs: 60_000, maxMessages: 1000 });
            await mailboxes.ack(id, [seq]);
            cycles++;
          }
        }),
      );
      await timer;
      expect(atTimer).toBeGreaterThanOrEqual(0);
      expect(atTimer).toBeLessThan(cycles);
    } finally {
      await database.close();
    }
  });
});

describe('migration 0002 (stored message counts)', () => {
  it('counts the messages a database already holds when it migrates', async () => {
    const file = join(dir, 'before-0002.db');
    // The database as the first migration left it, with messages in two mailboxes.
    // biome-ignore lint/suspicious/noExplicitAny: the schema before the latest migration is untyped.
    const early = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
    const migrator = new Migrator({ db: early, provider: { getMigrations: async () => migrations('sqlite') } });
    expect((await migrator.migrateTo('0001-accounts-devices-prekeys')).error).toBeUndefined();
    const ids = [randomBytes(16), randomBytes(16)];
    for (const id of ids) {
      await early
        .insertInto('mailboxes')
        .values({ mailbox_id: id, recipient_key: randomBytes(32), sender_key: randomBytes(32), created_at: 1 })
        .execute();
    }
    const message = (id: Buffer) => ({
      mailbox_id: id,
      digest: randomBytes(32),
      envelope: randomBytes(8),
      received_at: 1,
      expires_at: 2,
    });
    await early
      .insertInto('mailbox_messages')
      .values([message(ids[0] as Buffer), message(ids[0] as Buffer), message(ids[0] as Buffer)])
      .execute();
    await early.destroy();

    const database = await openDatabase({ sqlitePath: file });
    try {
      const rows = await database.db.selectFrom('mailboxes').select(['mailbox_id', 'message_count']).execute();
      const counts = new Map(rows.map((r) => [Buffer.from(r.mailbox_id).toString('hex'), Number(r.message_count)]));
      expect(counts.get((ids[0] as Buffer).toString('hex'))).toBe(3);
      expect(counts.get((ids[1] as Buffer).toString('hex'))).toBe(0);
    } finally {
      await database.close();
    }
  });
});
