/**
 * SqliteRecordStore (store/sqlite.ts): the RecordStore conformance suite over a real file, then
 * what only a disk store has to do: keep records across close and reopen, keep a resolved commit
 * when the process is killed right after it (SIGKILL, no close), share the file with a second
 * process without damage, create owner-only files and refuse files that are not its own schema.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA_VERSION, SqliteRecordStore } from '../src/platform/node/sqlite.ts';
import { describeRecordStore, expectClientError, text } from './record-store-conformance.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-store-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
/** A path in a fresh, existing directory under the test's temp root. */
function freshPath(): string {
  const dir = join(root, `case-${counter++}`);
  mkdirSync(dir);
  return join(dir, 'store.sqlite');
}

describeRecordStore('SqliteRecordStore', () => SqliteRecordStore.open(freshPath()));

const CHILD = new URL('./record-store-sqlite-child.ts', import.meta.url).pathname;

/** Runs the helper process; resolves with how it ended and what it printed. */
function runChild(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('SqliteRecordStore on disk', () => {
  it('keeps records across close and reopen', async () => {
    const path = freshPath();
    const first = await SqliteRecordStore.open(path);
    await first.commit([
      { kind: 'k', id: 'a', value: text('one') },
      { kind: 'k', id: 'b', value: text('two') },
    ]);
    await first.commit([{ kind: 'k', id: 'b', value: null }]);
    await first.close();
    const second = await SqliteRecordStore.open(path);
    expect(await second.get('k', 'a')).toEqual(text('one'));
    expect(await second.get('k', 'b')).toBeUndefined();
    await second.commit([{ kind: 'k', id: 'c', value: text('three') }]);
    await second.close();
    const third = await SqliteRecordStore.open(path);
    expect((await third.list('k')).map((r) => r.id)).toEqual(['a', 'c']);
    await third.close();
  });

  it('keeps every resolved commit when the process is killed with SIGKILL right after', async () => {
    const path = freshPath();
    const result = await runChild(['commit-then-kill', path, '20']);
    expect(result.signal, result.output).toBe('SIGKILL');
    // Nothing closed or checkpointed: the commits live only in the write-ahead log.
    expect(existsSync(`${path}-wal`)).toBe(true);
    const store = await SqliteRecordStore.open(path);
    const records = await store.list('k');
    expect(records.map((r) => r.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `kill-${String(i).padStart(2, '0')}`),
    );
    expect(await store.get('k', 'kill-19')).toEqual(text('value 19'));
    await store.close();
  }, 30_000);

  it('shares the file with a second process writing at the same time, without damage', async () => {
    const path = freshPath();
    const store = await SqliteRecordStore.open(path);
    const child = runChild(['writer', path, 'child', '40']);
    for (let i = 0; i < 40; i++) {
      await store.commit([{ kind: 'k', id: `parent-${String(i).padStart(2, '0')}`, value: text(`value ${i}`) }]);
      await new Promise((r) => setTimeout(r, 5));
    }
    const result = await child;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('done');
    const ids = (await store.list('k')).map((r) => r.id);
    expect(ids.filter((id) => id.startsWith('child-'))).toHaveLength(40);
    expect(ids.filter((id) => id.startsWith('parent-'))).toHaveLength(40);
    await store.close();
    const db = new BetterSqlite3(path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  }, 30_000);

  it('creates missing directories 0700 and the database, WAL and SHM files 0600', async () => {
    const dir = join(root, `case-${counter++}`, 'nested', 'profile');
    const path = join(dir, 'store.sqlite');
    const store = await SqliteRecordStore.open(path);
    await store.commit([{ kind: 'k', id: 'a', value: text('x') }]);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, '..'))).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(file), file).toBe(true);
      expect(mode(file).toString(8), file).toBe('600');
    }
    await store.close();
  });

  it('tightens an existing database file that others could read to 0600', async () => {
    const path = freshPath();
    await (await SqliteRecordStore.open(path)).close();
    chmodSync(path, 0o644);
    const store = await SqliteRecordStore.open(path);
    expect(mode(path)).toBe(0o600);
    await store.close();
  });

  it('opens an empty existing file as a new store', async () => {
    const path = freshPath();
    writeFileSync(path, new Uint8Array(0));
    const store = await SqliteRecordStore.open(path);
    await store.commit([{ kind: 'k', id: 'a', value: text('x') }]);
    await store.close();
  });

  it('refuses a newer schema, a foreign database and a file that is not SQLite (store-corrupt)', async () => {
    const newer = freshPath();
    await (await SqliteRecordStore.open(newer)).close();
    const db = new BetterSqlite3(newer);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    await expectClientError(SqliteRecordStore.open(newer), 'store-corrupt');

    const foreign = freshPath();
    const other = new BetterSqlite3(foreign);
    other.exec('CREATE TABLE notes (body TEXT)');
    other.close();
    await expectClientError(SqliteRecordStore.open(foreign), 'store-corrupt');

    const garbage = freshPath();
    writeFileSync(garbage, new TextEncoder().encode('this is not a database, just some text '.repeat(200)));
    await expectClientError(SqliteRecordStore.open(garbage), 'store-corrupt');
  });

  it('refuses unusable paths with usage', async () => {
    await expectClientError(SqliteRecordStore.open(''), 'usage');
    await expectClientError(SqliteRecordStore.open(':memory:'), 'usage');
    await expectClientError(SqliteRecordStore.open(root), 'usage'); // a directory
    const file = freshPath();
    await (await SqliteRecordStore.open(file)).close();
    await expectClientError(SqliteRecordStore.open(join(file, 'below-a-file.sqlite')), 'usage');
  });
});
