/**
 * The SQLite writer thread (sqlite-writer.ts) beyond what the storage conformance suite already
 * runs through it: a batch that fails is rolled back whole and the thread goes on, closing
 * waits for the batch in flight, the next batches reach it before the last one's callers are
 * answered, and the event loop's statements wait for its batches.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlChallengeStore } from '../src/storage/challenge-store.ts';
import { openDatabase } from '../src/storage/database.ts';
import { StorageError } from '../src/storage/errors.ts';
import type { MailboxOp } from '../src/storage/mailbox-ops.ts';
import { SqlMailboxStore } from '../src/storage/mailbox-store.ts';
import { MAX_BATCH } from '../src/storage/sqlite/group-commit.ts';
import { SqliteWriter } from '../src/storage/sqlite/sqlite-writer.ts';
import { T0 } from './storage-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(name: string) {
  const database = await openDatabase({ sqlitePath: join(dir, name) }, { writerThread: true });
  const writer = database.writer;
  if (writer === null) throw new Error('no writer thread');
  const mailboxes = new SqlMailboxStore(database);
  const { mailboxId } = await mailboxes.createMailbox({ recipientKey: randomBytes(32), senderKey: randomBytes(32) });
  const enqueue = (text: string): MailboxOp => {
    const envelope = Buffer.from(text);
    return {
      kind: 'enqueue',
      id: Buffer.from(mailboxId),
      envelope,
      now: T0,
      ttlMs: 1e12,
      maxMessages: 100,
    };
  };
  return { database, writer, mailboxes, mailboxId, enqueue };
}

describe('the SQLite writer thread', () => {
  it('rolls a failing batch back whole, answers each refusal on its own, and writes the next batch', async () => {
    const { database, writer, mailboxes, mailboxId, enqueue } = await open('rollback.db');
    try {
      // The database fails on the second operation (a trigger stands in for a full disk, say):
      // not a refusal, so the whole batch is rolled back, the first operation's insert with it.
      await sql`create trigger poison before insert on mailbox_messages when new.envelope = x'dead'
        begin select raise(abort, 'poisoned'); end`.execute(database.db);
      const poisoned = { ...enqueue('x'), envelope: Buffer.from([0xde, 0xad]) };
      const failed = await writer.write([enqueue('first'), poisoned]).catch((e: unknown) => e);
      expect(StorageError.is(failed, 'dependency')).toBe(true);
      expect(await mailboxes.count(mailboxId)).toBe(0);

      // An unknown mailbox is that operation's own refusal; the rest of its batch commits.
      const unknown = { ...enqueue('elsewhere'), id: randomBytes(16) };
      const outcomes = await writer.write([enqueue('second'), unknown, enqueue('third')]);
      expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
      const refusal = outcomes[1];
      expect(refusal?.ok === false && StorageError.is(refusal.error, 'not-found')).toBe(true);
      const texts = (await mailboxes.fetch(mailboxId, { limit: 10 })).map((m) => Buffer.from(m.envelope).toString());
      expect(texts).toEqual(['second', 'third']);
    } finally {
      await database.close();
    }
  });

  it('finishes the batch in flight before closing, and refuses batches after', async () => {
    const { database, writer, mailboxId, enqueue } = await open('close.db');
    const written = writer.write([enqueue('last words')]);
    const closed = database.close();
    const [outcome] = await written;
    expect(outcome?.ok).toBe(true);
    await closed;
    await expect(writer.write([enqueue('too late')])).rejects.toSatisfy((e) => StorageError.is(e, 'dependency'));

    const reopened = await openDatabase({ sqlitePath: join(dir, 'close.db') });
    try {
      expect(await new SqlMailboxStore(reopened).count(mailboxId)).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it("is handed the store's next batches before the last one's callers are answered, two at a time", async () => {
    const { database, writer, mailboxes, mailboxId } = await open('handover.db');
    try {
      const log: string[] = [];
      const write = writer.write.bind(writer);
      writer.write = (ops) => {
        log.push(`write ${ops.length}`);
        return write(ops);
      };
      const enqueue = (text: string) =>
        mailboxes.enqueue(mailboxId, Buffer.from(text), { ttlMs: 60_000, maxMessages: 10_000 }).then(() => {
          log.push(`answered ${text}`);
        });
      const first = enqueue('first');
      while (log.length === 0) await new Promise((resolve) => setImmediate(resolve));
      // Queued while the first batch is on the thread: more than one batch's worth.
      const queued = MAX_BATCH + 476;
      const later = Array.from({ length: queued }, (_, i) => enqueue(`later ${i}`));
      await first;
      expect(log.slice(0, 4)).toEqual(['write 1', `write ${MAX_BATCH}`, 'write 476', 'answered first']);
      await Promise.all(later);
      expect(await mailboxes.count(mailboxId)).toBe(queued + 1);
    } finally {
      await database.close();
    }
  });

  it("keeps the event loop's statements out of its transactions: they wait for a batch, not for SQLite's lock", async () => {
    // No busy timeout: a statement on the event loop's connection that met the writer's lock
    // would fail at once (SQLITE_BUSY), where the server's 5 s timeout would sleep on the event loop.
    const database = await openDatabase({ sqlitePath: join(dir, 'lock.db') }, { writerThread: true, busyTimeoutMs: 0 });
    try {
      const mailboxes = new SqlMailboxStore(database);
      const challenges = new SqlChallengeStore(database);
      const boxes = await Promise.all(
        Array.from({ length: 10 }, () =>
          mailboxes.createMailbox({ recipientKey: randomBytes(32), senderKey: randomBytes(32) }),
        ),
      );
      // Three batches' worth of deliveries keep the writer busy; meanwhile the event loop issues
      // challenges (a write on its own connection), one after another, in turns of the event
      // loop of their own as requests would come (a loop of awaits alone would never let the
      // group commit, scheduled with setImmediate, start).
      let written = false;
      const deliveries = Promise.all(
        Array.from({ length: 3000 }, (_, i) =>
          mailboxes.enqueue((boxes[i % 10] as { mailboxId: Uint8Array }).mailboxId, Buffer.from(`m${i}`), {
            ttlMs: 60_000,
            maxMessages: 1000,
          }),
        ),
      ).finally(() => {
        written = true;
      });
      const outcomes: string[] = [];
      while (!written) {
        await new Promise((resolve) => setImmediate(resolve));
        outcomes.push(
          await challenges.issue(60_000).then(
            () => 'issued',
            (e: unknown) => String(e),
          ),
        );
      }
      await deliveries;
      expect(outcomes.length).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o !== 'issued')).toEqual([]);
      expect(await mailboxes.total()).toBe(3000);
    } finally {
      await database.close();
    }
  });

  it('reports a thread that cannot open the database, and still closes', async () => {
    const writer = new SqliteWriter(join(dir, 'no-such-dir', 'x.db'), { busyTimeoutMs: 100, checkpointThread: false });
    await expect(writer.ready()).rejects.toBeDefined();
    await writer.close();
  });
});
