/**
 * A second process for record-store-sqlite.test.ts, run as `node --import tsx <this> MODE PATH …`:
 *
 * - `commit-then-kill PATH N`: N commits of one record each (`kill-00` …), then SIGKILL to itself
 *   the moment the last commit resolves, so nothing after it (no close, no checkpoint) runs.
 * - `writer PATH PREFIX N`: N commits of one record each (`PREFIX-00` …), then closes and exits 0.
 */
import { SqliteRecordStore } from '../src/platform/node/sqlite.ts';

const [mode, path, ...rest] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: MODE PATH …');
const store = await SqliteRecordStore.open(path);
const value = (i: number) => new TextEncoder().encode(`value ${i}`);
const id = (prefix: string, i: number) => `${prefix}-${String(i).padStart(2, '0')}`;

if (mode === 'commit-then-kill') {
  const n = Number(rest[0]);
  for (let i = 0; i < n; i++) await store.commit([{ kind: 'k', id: id('kill', i), value: value(i) }]);
  process.kill(process.pid, 'SIGKILL');
} else if (mode === 'writer') {
  const [prefix = 'child', count = '0'] = rest;
  for (let i = 0; i < Number(count); i++) await store.commit([{ kind: 'k', id: id(prefix, i), value: value(i) }]);
  await store.close();
  process.stdout.write('done\n');
} else {
  throw new Error('unknown mode');
}
