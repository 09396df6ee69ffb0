/**
 * The one conformance suite every {@link RecordStore} backend passes (record-store.ts): reads,
 * ordered listing with `after` / `limit` / `reverse` (against a model, property-based), atomic
 * batches (validated whole before anything applies; the last write to a record wins), deletes,
 * copying of bytes in and out, and `close`.
 *
 * Usage, from a backend's test file:
 *
 * ```ts
 * describeRecordStore('MemoryRecordStore', async () => new MemoryRecordStore());
 * ```
 *
 * The factory returns a fresh, empty store for each test; the suite closes it afterwards (so
 * `close` must be safe to call twice).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.ts';
import type { ListOptions, RecordStore, RecordWrite, StoredRecord } from '../src/store/record-store.ts';

export type RecordStoreFactory = () => Promise<RecordStore>;

const enc = new TextEncoder();
export const text = (s: string): Uint8Array => enc.encode(s);
const put = (kind: string, id: string, value: Uint8Array): RecordWrite => ({ kind, id, value });
const del = (kind: string, id: string): RecordWrite => ({ kind, id, value: null });

/** Resolves when `promise` rejects with `ClientError(code)`. */
export async function expectClientError(promise: Promise<unknown>, code: ClientError['code']): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ClientError(${code})`).toBeInstanceOf(ClientError);
  expect((error as ClientError).code).toBe(code);
}

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

export function describeRecordStore(name: string, factory: RecordStoreFactory): void {
  describe(`${name}: RecordStore conformance`, () => {
    let store: RecordStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('get', () => {
      it('returns undefined for a missing record and an unknown kind', async () => {
        expect(await store.get('contact', 'nope')).toBeUndefined();
        await store.commit([put('contact', 'a', text('x'))]);
        expect(await store.get('contact', 'nope')).toBeUndefined();
        expect(await store.get('other', 'a')).toBeUndefined();
      });

      it('round-trips values as Uint8Array, including the empty value and a large one', async () => {
        const large = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
        await store.commit([put('k', 'empty', new Uint8Array(0)), put('k', 'large', large), put('k', 'x', text('hi'))]);
        const empty = await store.get('k', 'empty');
        expect(empty).toBeInstanceOf(Uint8Array);
        expect(empty?.length).toBe(0);
        expect(await store.get('k', 'large')).toEqual(large);
        expect(await store.get('k', 'x')).toEqual(text('hi'));
      });

      it('keeps kinds apart: the same id under two kinds is two records', async () => {
        await store.commit([put('a', 'same', text('in a')), put('b', 'same', text('in b'))]);
        expect(await store.get('a', 'same')).toEqual(text('in a'));
        expect(await store.get('b', 'same')).toEqual(text('in b'));
        await store.commit([del('a', 'same')]);
        expect(await store.get('a', 'same')).toBeUndefined();
        expect(await store.get('b', 'same')).toEqual(text('in b'));
        expect(plain(await store.list('b'))).toEqual([{ id: 'same', value: [...text('in b')] }]);
      });

      it('accepts every printable ASCII character in kinds and ids, up to 1024 characters', async () => {
        const printable = String.fromCharCode(...Array.from({ length: 95 }, (_, i) => 0x20 + i));
        const long = 'x'.repeat(1024);
        await store.commit([put(printable, printable, text('1')), put(long, long, text('2'))]);
        expect(await store.get(printable, printable)).toEqual(text('1'));
        expect(await store.get(long, long)).toEqual(text('2'));
      });

      it('refuses invalid kinds and ids with usage', async () => {
        await expectClientError(store.get('', 'a'), 'usage');
        await expectClientError(store.get('k', ''), 'usage');
        await expectClientError(store.get('k', 'é'), 'usage');
        await expectClientError(store.get('k', 'a\u0000'), 'usage');
        await expectClientError(store.get('k\n', 'a'), 'usage');
        await expectClientError(store.get('k', 'x'.repeat(1025)), 'usage');
        await expectClientError(store.get(42 as unknown as string, 'a'), 'usage');
        await expectClientError(store.list(''), 'usage');
      });
    });

    describe('commit', () => {
      it('overwrites and deletes; deleting a missing record is a no-op; an empty batch resolves', async () => {
        await store.commit([put('k', 'a', text('1'))]);
        await store.commit([put('k', 'a', text('2'))]);
        expect(await store.get('k', 'a')).toEqual(text('2'));
        await store.commit([del('k', 'a'), del('k', 'never'), del('nokind', 'x')]);
        expect(await store.get('k', 'a')).toBeUndefined();
        expect(await store.list('k')).toEqual([]);
        await store.commit([]);
      });

      it('applies a batch in order: the last write to a record wins', async () => {
        await store.commit([put('k', 'a', text('1')), put('k', 'a', text('2')), put('k', 'b', text('b'))]);
        expect(await store.get('k', 'a')).toEqual(text('2'));
        await store.commit([put('k', 'b', text('b2')), del('k', 'b')]);
        expect(await store.get('k', 'b')).toBeUndefined();
        await store.commit([del('k', 'c'), put('k', 'c', text('c'))]);
        expect(await store.get('k', 'c')).toEqual(text('c'));
        expect((await store.list('k')).map((r) => r.id)).toEqual(['a', 'c']);
      });

      it('applies nothing of a batch that holds one invalid write', async () => {
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
        expect(await store.get('k', 'new')).toBeUndefined();
        expect(await store.get('k', 'keep')).toEqual(text('old'));
        expect(plain(await store.list('k'))).toEqual([{ id: 'keep', value: [...text('old')] }]);
      });

      it('applies concurrent commits all, each whole', async () => {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.commit([put('k', `r${String(i).padStart(2, '0')}`, text(`${i}`)), put('count', `c${i}`, text('1'))]),
          ),
        );
        expect((await store.list('k')).length).toBe(20);
        expect((await store.list('count')).length).toBe(20);
        expect(await store.get('k', 'r07')).toEqual(text('7'));
      });
    });

    describe('bytes are copied in and out', () => {
      it('is not changed by mutating a written buffer afterwards', async () => {
        const value = text('original');
        await store.commit([put('k', 'a', value)]);
        value.fill(0);
        expect(await store.get('k', 'a')).toEqual(text('original'));
      });

      it('is not changed by mutating a buffer it returned', async () => {
        await store.commit([put('k', 'a', text('original'))]);
        const got = await store.get('k', 'a');
        got?.fill(0);
        const [listed] = await store.list('k');
        expect(listed?.value).toEqual(text('original'));
        listed?.value.fill(0);
        expect(await store.get('k', 'a')).toEqual(text('original'));
      });

      it('stores exactly the bytes of a view into a larger buffer, and accepts a Buffer', async () => {
        const backing = text('0123456789');
        await store.commit([put('k', 'view', backing.subarray(3, 6)), put('k', 'buf', Buffer.from('node'))]);
        expect(await store.get('k', 'view')).toEqual(text('345'));
        const buf = await store.get('k', 'buf');
        expect(buf && [...buf]).toEqual([...text('node')]);
      });
    });

    describe('list', () => {
      const ids = ['b', 'a', 'B', 'aa', 'a0', '~', ' ', '0', 'Z', 'ab', '_', 'a ', 'a~'];
      beforeEach(async () => {
        await store.commit(ids.map((id) => put('k', id, text(`v:${id}`))));
        await store.commit([put('other', 'a', text('other'))]);
      });
      const sorted = [...ids].sort();

      it('lists one kind in ascending UTF-16 order, or descending with reverse', async () => {
        expect(sorted).toEqual([' ', '0', 'B', 'Z', '_', 'a', 'a ', 'a0', 'aa', 'ab', 'a~', 'b', '~']);
        const all = await store.list('k');
        expect(all.map((r) => r.id)).toEqual(sorted);
        expect(all.every((r) => r.value instanceof Uint8Array)).toBe(true);
        expect(all.map((r) => new TextDecoder().decode(r.value))).toEqual(sorted.map((id) => `v:${id}`));
        expect((await store.list('k', { reverse: true })).map((r) => r.id)).toEqual([...sorted].reverse());
        expect(await store.list('missing')).toEqual([]);
      });

      it('starts strictly after `after` (before it, with reverse)', async () => {
        const idsOf = async (o: ListOptions) => (await store.list('k', o)).map((r) => r.id);
        expect(await idsOf({ after: 'a' })).toEqual(['a ', 'a0', 'aa', 'ab', 'a~', 'b', '~']);
        expect(await idsOf({ after: 'a', reverse: true })).toEqual(['_', 'Z', 'B', '0', ' ']);
        // An `after` that is not a stored id.
        expect(await idsOf({ after: 'a1' })).toEqual(['aa', 'ab', 'a~', 'b', '~']);
        expect(await idsOf({ after: 'a1', reverse: true })).toEqual(['a0', 'a ', 'a', '_', 'Z', 'B', '0', ' ']);
        // Past either end, the empty string, and a non-ASCII bound (above every ASCII id).
        expect(await idsOf({ after: '~' })).toEqual([]);
        expect(await idsOf({ after: ' ', reverse: true })).toEqual([]);
        expect(await idsOf({ after: '' })).toEqual(sorted);
        expect(await idsOf({ after: '', reverse: true })).toEqual([]);
        expect(await idsOf({ after: 'é' })).toEqual([]);
        expect(await idsOf({ after: 'é', reverse: true })).toEqual([...sorted].reverse());
      });

      it('returns at most `limit` records, from the start of the range', async () => {
        const idsOf = async (o: ListOptions) => (await store.list('k', o)).map((r) => r.id);
        expect(await idsOf({ limit: 3 })).toEqual([' ', '0', 'B']);
        expect(await idsOf({ limit: 3, reverse: true })).toEqual(['~', 'b', 'a~']);
        expect(await idsOf({ limit: 2, after: 'a0' })).toEqual(['aa', 'ab']);
        expect(await idsOf({ limit: 2, after: 'a0', reverse: true })).toEqual(['a ', 'a']);
        expect(await idsOf({ limit: 0 })).toEqual([]);
        expect(await idsOf({ limit: 1000 })).toEqual(sorted);
      });

      it('pages through a kind with after + limit', async () => {
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
          expect(seen).toEqual(reverse ? [...sorted].reverse() : sorted);
        }
      });

      it('refuses invalid options with usage', async () => {
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
      });

      it('matches a model for random batches and random list options', async () => {
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
              expect(plain(await store.list(kind))).toEqual(plain(modelList(model)));
              for (const q of queries) {
                expect(plain(await store.list(kind, q as ListOptions))).toEqual(
                  plain(modelList(model, q as ListOptions)),
                );
              }
              for (const [key, value] of model) expect(await store.get(kind, key)).toEqual(value);
            },
          ),
          { numRuns: 40 },
        );
        expect(run).toBe(40);
      });
    });

    describe('close', () => {
      it('resolves twice and makes every later call fail with usage', async () => {
        await store.commit([put('k', 'a', text('1'))]);
        await store.close();
        await store.close();
        await expectClientError(store.get('k', 'a'), 'usage');
        await expectClientError(store.list('k'), 'usage');
        await expectClientError(store.commit([put('k', 'b', text('2'))]), 'usage');
      });
    });
  });
}
