/**
 * `npm run bench:mailbox`: what a delivery into a mailbox holding thousands of waiting messages
 * costs the store, against one into an empty mailbox, and what refused sends into a full one cost
 * (SQLite in a temporary file, with the writer and checkpoint threads, as the server opens it,
 * behind the server's CachedMailboxStore). Before the stored message count (migration 0002) the
 * first figure grew with the mailbox: ~0.75 ms of the writer thread a delivery at ~9,300 waiting.
 * Options: --waiting N (default 9300), --sends M (default 300). Last line: one JSON object.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachedMailboxStore, MAX_MAILBOX_MESSAGES, openDatabase, SqlMailboxStore } from '@parley/server';
import { parseCounts, round1 } from './measure.ts';

const { waiting, sends } = parseCounts<'waiting' | 'sends'>(process.argv.slice(2), { waiting: 9300, sends: 300 });
if (waiting + sends > MAX_MAILBOX_MESSAGES)
  throw new Error(`--waiting plus --sends must be at most ${MAX_MAILBOX_MESSAGES}`);
const dir = mkdtempSync(join(tmpdir(), 'parley-mailbox-bench-'));
const database = await openDatabase(
  { sqlitePath: join(dir, 'db.sqlite') },
  { writerThread: true, checkpointThread: true },
);
try {
  const store = new CachedMailboxStore(new SqlMailboxStore(database));
  const limits = { ttlMs: 86_400_000, maxMessages: MAX_MAILBOX_MESSAGES };
  const newMailbox = async () =>
    (await store.createMailbox({ recipientKey: randomBytes(32), senderKey: randomBytes(32) })).mailboxId;
  const fill = async (id: Uint8Array, n: number) => {
    for (let left = n; left > 0; left -= 500) {
      await Promise.allSettled(
        Array.from({ length: Math.min(500, left) }, () => store.enqueue(id, randomBytes(100), limits)),
      );
    }
  };
  /** `sends` concurrent enqueues into `id`; ms for all of them, and how many were refused. */
  const burst = async (id: Uint8Array) => {
    const t0 = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: sends }, () => store.enqueue(id, randomBytes(100), limits)),
    );
    return { ms: round1(performance.now() - t0), refused: results.filter((r) => r.status === 'rejected').length };
  };
  const busy = await newMailbox();
  const empty = await newMailbox();
  console.error(`mailbox bench: filling a mailbox with ${waiting} messages…`);
  await fill(busy, waiting);
  const intoBusy = await burst(busy);
  const intoEmpty = await burst(empty);
  console.error(
    `${sends} concurrent deliveries: ${intoBusy.ms} ms into the mailbox with ${waiting} waiting, ${intoEmpty.ms} ms into an empty one`,
  );
  await fill(busy, MAX_MAILBOX_MESSAGES - waiting - sends);
  const refused = [await burst(busy), await burst(busy), await burst(busy)];
  console.error(
    `${sends} sends into a full mailbox, three times: ${refused.map((r) => `${r.ms} ms (${r.refused} refused)`).join(', ')}`,
  );
  console.log(
    JSON.stringify({
      waiting,
      sends,
      into_busy_ms: intoBusy.ms,
      into_empty_ms: intoEmpty.ms,
      refused_ms: refused.map((r) => r.ms),
      refused: refused.map((r) => r.refused),
    }),
  );
} finally {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
