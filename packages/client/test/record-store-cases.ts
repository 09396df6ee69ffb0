/**
 * The one conformance suite every {@link RecordStore} backend passes (record-store.ts): reads,
 * ordered listing with `after` / `limit` / `reverse` (against a model, property-based), atomic
 * batches (validated whole before anything applies; the last write to a record wins), deletes,
 * copying of bytes in and out, and `close`.
 *
 * A table of named cases with its own small assertions, free of any test runner, so that the same
 * cases run under vitest in Node (record-store-conformance.ts: MemoryRecordStore, SQLite, the
 * encrypted store) and inside Chromium (indexeddb-browser.test.ts: IndexedDB, the encrypted
 * store over it). Each case gets a fresh, empty store; the runner closes it afterwards (so
 * `close` must be safe to call twice).
 */
import fc from 'fast-check';
import { ClientError } from '../src/errors.ts';
import type { ListOptions, RecordStore, RecordWrite, StoredRecord } from '../src/store/record-store.ts';

export interface RecordStoreCase {
  /** The part of the interface it checks: get, commit, bytes, list, close. */
  readonly group: string;
  readonly name: string;
  run(store: RecordStore): Promise<void>;
}

const enc = new TextEncoder();
export const text = (s: string): Uint8Array => enc.encode(s);
const put = (kind: string, id: string, value: Uint8Array): RecordWrite => ({ kind, id, value });
const del = (kind: string, id: string): RecordWrite => ({ kind, id, value: null });

// ─── assertions ─────────────────────────────────────────────────────────────────────────────────

export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

/** Deep equality of what stores return: primitives, arrays, plain objects and byte arrays. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  return (
    same(keys.sort(), Object.keys(b).sort()) &&
    keys.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

function show(v: unknown): string {
  return JSON.stringify(v, (_, x) => (x instanceof Uint8Array ? `bytes[${[...x].join(',')}]` : x)) ?? String(v);
}

export function assertEqual(actual: unknown, expected: unknown, what = 'value'): void {
  if (!same(actual, expected)) {
    throw new ConformanceFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function assert(condition: boolean, what: string): void {
  if (!condition) throw new ConformanceFailure(`expected ${what}`);
}

/** Resolves when `promise` rejects with `ClientError(code)`. */
export async function expectClientError(promise: Promise<unknown>, code: ClientError['code']): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert(error instanceof ClientError, `ClientError(${code}), got ${String(error)}`);
  assertEqual((error as ClientError).code, code, 'error code');
}

// ─── the model ──────────────────────────────────────────────────────────────────────────────────

/** What `list` must return, computed from a plain map. */
function modelList(model: ReadonlyMap<string, Uint8Array>, options: ListOptions = {}): StoredRecord[] {
  const { after, limit, reverse } = options;
  let ids = [...model.keys()].sort(); // default sort: UTF-16 code unit order
  if (reverse) ids.reverse();
  if (after !== undefined) ids = ids.filter((id) => (reverse ? id < after : id > after));
  if (limit !== undefined) ids = ids.slice(0, limit);
  return ids.map((id) => ({ id, value: model.get(id) as Uint8Array }));
}

/** Plain Uint8Arrays for comparison (a backend may return a subclass such as Buffer). */
function plain(records: readonly StoredRecord[]): { id: string; value: number[] }[] {
  return records.map((r) => ({ id: r.id, value: [...r.value] }));
}

const ids = async (store: RecordStore, kind: string, o?: ListOptions) => (await store.list(kind, o)).map((r) => r.id);

/** A Uint8Array subclass: Node's Buffer where there is one, else a class of our own. */
function subclassBytes(s: string): Uint8Array {
  const NodeBuffer = (globalThis as { Buffer?: { from(s: string): Uint8Array } }).Buffer;
  return NodeBuffer ? NodeBuffer.from(s) : new (class Bytes extends Uint8Array {})(text(s));
}

// ─── the cases ──────────────────────────────────────────────────────────────────────────────────

const listIds = ['b', 'a', 'B', 'aa', 'a0', '~', ' ', '0', 'Z', 'ab', '_', 'a ', 'a~'];
const sorted = [...listIds].sort();

/** The records every `list` case starts from. */
async function seedList(store: RecordStore): Promise<void> {
  await store.commit(listIds.map((id) => put('k', id, text(`v:${id}`))));
  await store.commit([put('other', 'a', text('other'))]);
}

export const recordStoreCases: readonly RecordStoreCase[] = [
  {
    group: 'get',
    name: 'returns undefined for a missing record and an unknown kind',
    async run(store) {
      assertEqual(await store.get('contact', 'nope'), undefined);
      await store.commit([put('contact', 'a', text('x'))]);
      assertEqual(await store.get('contact', 'nope'), undefined);
      assertEqual(await store.get('other', 'a'), undefined);
    },
  },
  {
    group: 'get',
    name: 'round-trips values as Uint8Array, including the empty value and a large one',
    async run(store) {
      const large = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
      await store.commit([put('k', 'empty', new Uint8Array(0)), put('k', 'large', large), put('k', 'x', text('hi'))]);
      const empty = await store.get('k', 'empty');
      assert(empty instanceof Uint8Array, 'a Uint8Array');
      assertEqual(empty?.length, 0, 'length');
      assertEqual(await store.get('k', 'large'), large);
      assertEqual(await store.get('k', 'x'), text('hi'));
    },
  },
  {
    group: 'get',
    name: 'keeps kinds apart: the same id under two kinds is two records',
    async run(store) {
      await store.commit([put('a', 'same', text('in a')), put('b', 'same', text('in b'))]);
      assertEqual(await store.get('a', 'same'), text('in a'));
      assertEqual(await store.get('b', 'same'), text('in b'));
      await store.commit([del('a', 'same')]);
      assertEqual(await store.get('a', 'same'), undefined);
      assertEqual(await store.get('b', 'same'), text('in b'));
      assertEqual(plain(await store.list('b')), [{ id: 'same', value: [...text('in b')] }]);
    },
  },
  {
    group: 'get',
    name: 'accepts every printable ASCII character in kinds and ids, up to 1024 characters',
    async run(store) {
      const printable = String.fromCharCode(...Array.from({ length: 95 }, (_, i) => 0x20 + i));
      const long = 'x'.repeat(1024);
      await store.commit([put(printable, printable, text('1')), put(long, long, text('2'))]);
      assertEqual(await store.get(printable, printable), text('1'));
      assertEqual(await store.get(long, long), text('2'));
    },
  },
  {
    group: 'get',
    name: 'refuses invalid kinds and ids with usage',
    async run(store) {
      await expectClientError(store.get('', 'a'), 'usage');
      await expectClientError(store.get('k', ''), 'usage');
      await expectClientError(store.get('k', 'é'), 'usage');
      await expectClientError(store.get('k', 'a\u0000'), 'usage');
      await expectClientError(store.get('k\n', 'a'), 'usage');
      await expectClientError(store.get('k', 'x'.repeat(1025)), 'usage');
      await expectClientError(store.get(42 as unknown as string, 'a'), 'usage');
      await expectClientError(store.list(''), 'usage');
    },
  },
  {
    group: 'commit',
    name: 'overwrites and deletes; deleting a missing record is a no-op; an empty batch resolves',
    async run(store) {
      await store.commit([put('k', 'a', text('1'))]);
      await store.commit([put('k', 'a', text('2'))]);
      assertEqual(await store.get('k', 'a'), text('2'));
      await store.commit([del('k', 'a'), del('k', 'never'), del('nokind', 'x')]);
      assertEqual(await store.get('k', 'a'), undefined);
      assertEqual(await store.list('k'), []);
      await store.commit([]);
    },
  },
  {
    group: 'commit',
    name: 'applies a batch in order: the last write to a record wins',
    async run(store) {
      await store.commit([put('k', 'a', text('1')), put('k', 'a', text('2')), put('k', 'b', text('b'))]);
      assertEqual(await store.get('k', 'a'), text('2'));
      await store.commit([put('k', 'b', text('b2')), del('k', 'b')]);
      assertEqual(await store.get('k', 'b'), undefined);
      await store.commit([del('k', 'c'), put('k', 'c', text('c'))]);
      assertEqual(await store.get('k', 'c'), text('c'));
      assertEqual(await ids(store, 'k'), ['a', 'c']);
    },
  },
  {
    group: 'commit',
    name: 'applies nothing of a batch that holds one invalid write',
    async run(store) {
      await store.commit([put('k', 'keep', text('old'))]);
      const valid = [put('k', 'new', text('new')), put('k', 'keep', text('changed')), del('k', 'keep')];
      const invalid: RecordWrite[] = [
        { kind: '', id: 'x', value: text('x') },
        { kind: 'k', id: 'é', value: text('x') },
        { kind: 'k', id: '', value: text('x') },
        { kind: 'k', id: 'x'.repeat(1025), value: text('x') },
        { kind: 'k', id: 'x', value: 'not bytes' as unknown as Uint8Array },
        { kind: 'k', id: 'x', value: undefined as unknown as Uint8Array },
        null as unknown as RecordWrite,
      ];
      for (const bad of invalid) {
        await expectClientError(store.commit([...valid, bad]), 'usage');
        await expectClientError(store.commit([bad, ...valid]), 'usage');
      }
      await expectClientError(store.commit('nope' as unknown as RecordWrite[]), 'usage');
      assertEqual(await store.get('k', 'new'), undefined);
      assertEqual(await store.get('k', 'keep'), text('old'));
      assertEqual(plain(await store.list('k')), [{ id: 'keep', value: [...text('old')] }]);
    },
  },
  {
    group: 'commit',
    name: 'applies concurrent commits all, each whole',
    async run(store) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.commit([put('k', `r${String(i).padStart(2, '0')}`, text(`${i}`)), put('count', `c${i}`, text('1'))]),
        ),
      );
      assertEqual((await store.list('k')).length, 20, 'records of k');
      assertEqual((await store.list('count')).length, 20, 'records of count');
      assertEqual(await store.get('k', 'r07'), text('7'));
    },
  },
  {
    group: 'bytes are copied in and out',
    name: 'is not changed by mutating a written buffer afterwards',
    async run(store) {
      const value = text('original');
      await store.commit([put('k', 'a', value)]);
      value.fill(0);
      assertEqual(await store.get('k', 'a'), text('original'));
    },
  },
  {
    group: 'bytes are copied in and out',
    name: 'is not changed by mutating a buffer it returned',
    async run(store) {
      await store.commit([put('k', 'a', text('original'))]);
      const got = await store.get('k', 'a');
      got?.fill(0);
      const [listed] = await store.list('k');
      assertEqual(listed?.value, text('original'));
      listed?.value.fill(0);
      assertEqual(await store.get('k', 'a'), text('original'));
    },
  },
  {
    group: 'bytes are copied in and out',
    name: 'stores exactly the bytes of a view into a larger buffer, and accepts a Uint8Array subclass (Buffer)',
    async run(store) {
      const backing = text('0123456789');
      await store.commit([put('k', 'view', backing.subarray(3, 6)), put('k', 'buf', subclassBytes('node'))]);
      assertEqual(await store.get('k', 'view'), text('345'));
      const buf = await store.get('k', 'buf');
      assertEqual(buf && [...buf], [...text('node')]);
    },
  },
  {
    group: 'list',
    name: 'lists one kind in ascending UTF-16 order, or descending with reverse',
    async run(store) {
      await seedList(store);
      assertEqual(sorted, [' ', '0', 'B', 'Z', '_', 'a', 'a ', 'a0', 'aa', 'ab', 'a~', 'b', '~'], 'the model');
      const all = await store.list('k');
      assertEqual(
        all.map((r) => r.id),
        sorted,
      );
      assert(
        all.every((r) => r.value instanceof Uint8Array),
        'Uint8Array values',
      );
      assertEqual(
        all.map((r) => new TextDecoder().decode(r.value)),
        sorted.map((id) => `v:${id}`),
      );
      assertEqual(await ids(store, 'k', { reverse: true }), [...sorted].reverse());
      assertEqual(await store.list('missing'), []);
    },
  },
  {
    group: 'list',
    name: 'starts strictly after `after` (before it, with reverse)',
    async run(store) {
      await seedList(store);
      assertEqual(await ids(store, 'k', { after: 'a' }), ['a ', 'a0', 'aa', 'ab', 'a~', 'b', '~']);
      assertEqual(await ids(store, 'k', { after: 'a', reverse: true }), ['_', 'Z', 'B', '0', ' ']);
      // An `after` that is not a stored id.
      assertEqual(await ids(store, 'k', { after: 'a1' }), ['aa', 'ab', 'a~', 'b', '~']);
      assertEqual(await ids(store, 'k', { after: 'a1', reverse: true }), ['a0', 'a ', 'a', '_', 'Z', 'B', '0', ' ']);
      // Past either end, the empty string, and a non-ASCII bound (above every ASCII id).
      assertEqual(await ids(store, 'k', { after: '~' }), []);
      assertEqual(await ids(store, 'k', { after: ' ', reverse: true }), []);
      assertEqual(await ids(store, 'k', { after: '' }), sorted);
      assertEqual(await ids(store, 'k', { after: '', reverse: true }), []);
      assertEqual(await ids(store, 'k', { after: 'é' }), []);
      assertEqual(await ids(store, 'k', { after: 'é', reverse: true }), [...sorted].reverse());
    },
  },
  {
    group: 'list',
    name: 'returns at most `limit` records, from the start of the range',
    async run(store) {
      await seedList(store);
      assertEqual(await ids(store, 'k', { limit: 3 }), [' ', '0', 'B']);
      assertEqual(await ids(store, 'k', { limit: 3, reverse: true }), ['~', 'b', 'a~']);
      assertEqual(await ids(store, 'k', { limit: 2, after: 'a0' }), ['aa', 'ab']);
      assertEqual(await ids(store, 'k', { limit: 2, after: 'a0', reverse: true }), ['a ', 'a']);
      assertEqual(await ids(store, 'k', { limit: 0 }), []);
      assertEqual(await ids(store, 'k', { limit: 1000 }), sorted);
    },
  },
  {
    group: 'list',
    name: 'pages through a kind with after + limit',
    async run(store) {
      await seedList(store);
      for (const reverse of [false, true]) {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.list(
            'k',
            after === undefined ? { limit: 4, reverse } : { limit: 4, after, reverse },
          );
          if (page.length === 0) break;
          seen.push(...page.map((r) => r.id));
          after = page[page.length - 1]?.id;
        }
        assertEqual(seen, reverse ? [...sorted].reverse() : sorted);
      }
    },
  },
  {
    group: 'list',
    name: 'refuses invalid options with usage',
    async run(store) {
      await seedList(store);
      for (const options of [
        { limit: -1 },
        { limit: 1.5 },
        { limit: Number.NaN },
        { limit: Number.POSITIVE_INFINITY },
        { after: 3 },
        { reverse: 'yes' },
      ]) {
        await expectClientError(store.list('k', options as unknown as ListOptions), 'usage');
      }
    },
  },
  {
    group: 'list',
    name: 'matches a model for random batches and random list options',
    async run(store) {
      await seedList(store);
      const id = fc.string({
        unit: fc.constantFrom(' ', '!', '0', '9', 'A', 'Z', '_', 'a', 'b', 'z', '~'),
        minLength: 1,
        maxLength: 4,
      });
      const write = fc.record({ id, value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null, freq: 3 }) });
      const options = fc.record(
        {
          after: fc.oneof(id, fc.string({ unit: 'binary', maxLength: 3 })),
          limit: fc.nat({ max: 12 }),
          reverse: fc.boolean(),
        },
        { requiredKeys: [] },
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(write, { maxLength: 10 }), { maxLength: 5 }),
          fc.array(options, { maxLength: 5 }),
          async (batches, queries) => {
            const kind = `model${run++}`;
            const model = new Map<string, Uint8Array>();
            for (const batch of batches) {
              await store.commit(batch.map((w) => ({ kind, id: w.id, value: w.value })));
              for (const w of batch) {
                if (w.value === null) model.delete(w.id);
                else model.set(w.id, w.value);
              }
            }
            assertEqual(plain(await store.list(kind)), plain(modelList(model)), 'list');
            for (const q of queries) {
              assertEqual(
                plain(await store.list(kind, q as ListOptions)),
                plain(modelList(model, q as ListOptions)),
                `list ${JSON.stringify(q)}`,
              );
            }
            for (const [key, value] of model) assertEqual(await store.get(kind, key), value, `get ${key}`);
          },
        ),
        { numRuns: 40 },
      );
      assertEqual(run, 40, 'runs');
    },
  },
  {
    group: 'close',
    name: 'resolves twice and makes every later call fail with usage',
    async run(store) {
      await store.commit([put('k', 'a', text('1'))]);
      await store.close();
      await store.close();
      await expectClientError(store.get('k', 'a'), 'usage');
      await expectClientError(store.list('k'), 'usage');
      await expectClientError(store.commit([put('k', 'b', text('2'))]), 'usage');
    },
  },
];

/** Runs one case on a fresh store from `factory`, closing the store afterwards. */
export async function runRecordStoreCase(c: RecordStoreCase, factory: () => Promise<RecordStore>): Promise<void> {
  const store = await factory();
  try {
    await c.run(store);
  } finally {
    await store.close();
  }
}
