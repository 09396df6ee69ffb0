/**
 * `npm run bench:sqlite-driver`: Node's built-in `node:sqlite` against `better-sqlite3`, on the
 * operations Parley's two SQLite users actually run, to decide whether the native addon (built
 * from source on every fresh install) can go.
 *
 * - server: a group-commit batch (storage/mailbox-ops.ts): BEGIN IMMEDIATE; per delivery a
 *   prepared SELECT of the mailbox row, an INSERT of a ~300-byte message and an UPDATE of the
 *   mailbox's count; COMMIT. WAL, synchronous=FULL, as sqlite-connection.ts opens it. Batches of
 *   1 (one fsync a delivery) and of 64 (the driver's cost dominates).
 * - client: the record store (client/src/platform/node/sqlite.ts): a transaction of 3 upserts of
 *   ~1 KB sealed records (one fsync a transaction), point reads by (kind, id), and ordered pages
 *   of 50.
 *
 * Each driver runs the same statements on its own fresh database file, alternating over
 * `--rounds`; figures are medians. The last line printed is one JSON object.
 *
 * Options: --rounds N (3) --deliveries N (20000) --records N (20000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** The part of a driver the benchmark needs, so both run the same code. */
interface Driver {
  exec(sql: string): void;
  prepare(sql: string): {
    run(...params: unknown[]): unknown;
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
  };
  close(): void;
}

type Opener = (path: string) => Driver;

const openers: Record<string, Opener> = {
  'better-sqlite3': (path) => {
    const Better = require('better-sqlite3') as new (p: string) => Driver;
    return new Better(path);
  },
  'node:sqlite': (path) => {
    const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: new (p: string) => Driver };
    return new DatabaseSync(path);
  },
};

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} wants a positive integer`);
  return v;
}

const rounds = arg('rounds', 3);
const deliveries = arg('deliveries', 20_000);
const records = arg('records', 20_000);

function open(make: Opener, dir: string, name: string): Driver {
  const db = make(join(dir, name));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

const usPer = (start: bigint, n: number) => Number(process.hrtime.bigint() - start) / 1e3 / n;

/** Deliveries in batches of `batch`; µs per delivery. */
function server(make: Opener, dir: string, batch: number, n: number): number {
  const db = open(make, dir, `server-${batch}.db`);
  db.exec(`CREATE TABLE mailboxes (mailbox_id BLOB PRIMARY KEY, messages INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, mailbox_id BLOB NOT NULL
      REFERENCES mailboxes (mailbox_id), body BLOB NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX messages_by_mailbox ON messages (mailbox_id, seq);`);
  const boxes = Array.from({ length: 256 }, (_, i) => new Uint8Array(32).fill(i));
  const addBox = db.prepare('INSERT INTO mailboxes (mailbox_id, messages) VALUES (?, 0)');
  for (const b of boxes) addBox.run(b);
  const box = db.prepare('SELECT messages FROM mailboxes WHERE mailbox_id = ?');
  const insert = db.prepare('INSERT INTO messages (mailbox_id, body, expires_at) VALUES (?, ?, ?)');
  const count = db.prepare('UPDATE mailboxes SET messages = messages + 1 WHERE mailbox_id = ?');
  const body = new Uint8Array(300).fill(7);
  const deliver = (i: number) => {
    const id = boxes[i % boxes.length] as Uint8Array;
    if (box.get(id) === undefined) throw new Error('no mailbox');
    insert.run(id, body, 1_767_225_600_000 + i);
    count.run(id);
  };
  const warm = Math.min(n, 200);
  const runBatches = (from: number, to: number) => {
    for (let i = from; i < to; i += batch) {
      db.exec('BEGIN IMMEDIATE');
      for (let j = i; j < Math.min(to, i + batch); j++) deliver(j);
      db.exec('COMMIT');
    }
  };
  runBatches(0, warm);
  const start = process.hrtime.bigint();
  runBatches(warm, warm + n);
  const us = usPer(start, n);
  db.close();
  return us;
}

/** The record store: µs per upsert (3 per transaction), per point read, per page of 50. */
function client(make: Opener, dir: string, n: number): { put: number; get: number; page: number } {
  const db = open(make, dir, 'client.db');
  db.exec('PRAGMA secure_delete = ON');
  db.exec(`CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (kind, id)) WITHOUT ROWID`);
  const put = db.prepare(
    'INSERT INTO records (kind, id, value) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value',
  );
  const get = db.prepare('SELECT value FROM records WHERE kind = ? AND id = ?');
  const page = db.prepare('SELECT id, value FROM records WHERE kind = ? AND id > ? ORDER BY id ASC LIMIT ?');
  const value = new Uint8Array(1024).fill(3);
  const ids = Math.min(n, 5000);
  const idOf = (i: number) => `m${String(i % ids).padStart(8, '0')}`;
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i += 3) {
    db.exec('BEGIN IMMEDIATE');
    for (let j = i; j < i + 3; j++) put.run('message', idOf(j), value);
    db.exec('COMMIT');
  }
  const putUs = usPer(start, n);
  start = process.hrtime.bigint();
  // Reads are cheap and noisy: ten times as many as writes.
  for (let i = 0; i < 10 * n; i++) if (get.get('message', idOf(i * 7)) === undefined) throw new Error('missing');
  const getUs = usPer(start, 10 * n);
  const pages = n;
  start = process.hrtime.bigint();
  for (let i = 0; i < pages; i++) page.all('message', idOf(i * 13), 50);
  const pageUs = usPer(start, pages);
  db.close();
  return { put: putUs, get: getUs, page: pageUs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

const results: Record<string, Record<string, number[]>> = {};
console.error(`sqlite driver benchmark on Node ${process.version}: ${rounds} rounds`);
for (let r = 1; r <= rounds; r++) {
  for (const [name, make] of Object.entries(openers)) {
    const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-bench-'));
    try {
      const c = client(make, dir, records);
      const figures = {
        server_batch1_us: server(make, dir, 1, Math.max(1, Math.floor(deliveries / 20))),
        server_batch64_us: server(make, dir, 64, deliveries),
        client_put_us: c.put,
        client_get_us: c.get,
        client_page50_us: c.page,
      };
      const into = results[name] ?? {};
      results[name] = into;
      for (const [k, v] of Object.entries(figures)) into[k] = [...(into[k] ?? []), v];
      console.error(
        `round ${r}/${rounds} ${name}: ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, r2(v)])))}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const summary = Object.fromEntries(
  Object.entries(results).map(([name, fig]) => [
    name,
    Object.fromEntries(Object.entries(fig).map(([k, v]) => [k, r2(median(v))])),
  ]),
);
console.log(
  `${'µs per operation (median)'.padEnd(28)}${Object.keys(summary)
    .map((n) => n.padStart(16))
    .join('')}`,
);
for (const k of Object.keys(summary['node:sqlite'] ?? {})) {
  console.log(
    `${k.padEnd(28)}${Object.values(summary)
      .map((f) => String(f[k]).padStart(16))
      .join('')}`,
  );
}
console.log(JSON.stringify({ node: process.version, ...summary }));
