/**
 * Encryption at rest (store/encrypted.ts, passphrase.ts, node-crypto.ts): the RecordStore
 * conformance suite over EncryptedRecordStore on memory and on SQLite; the primitives against
 * published vectors and @noble (the future browser backend); passphrases (wrong, empty, NFKC);
 * values that were tampered with or moved between records; damaged metadata; the default scrypt
 * cost; and a search of the database files for the plaintext that went through the store.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcm } from '@noble/ciphers/aes.js';
import { scrypt as nobleScrypt } from '@noble/hashes/scrypt.js';
import { fromHex, toHex } from '@parley/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.ts';
import { nodeStoreCrypto } from '../src/platform/node/node-crypto.ts';
import { SqliteRecordStore } from '../src/platform/node/sqlite.ts';
import { EncryptedRecordStore, META_ID, META_KIND, SEALED_OVERHEAD } from '../src/store/encrypted.ts';
import { MemoryRecordStore } from '../src/store/memory.ts';
import { DEFAULT_SCRYPT_PARAMS, deriveStoreKey, passphraseBytes } from '../src/store/passphrase.ts';
import type { RecordStore } from '../src/store/record-store.ts';
import type { ScryptParams } from '../src/store/store-crypto.ts';
import { describeRecordStore, expectClientError, text } from './record-store-conformance.ts';

/** Cheap scrypt for tests (~1 ms); the default cost is tested on its own below. */
const CHEAP: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';
const crypto = nodeStoreCrypto;

const root = mkdtempSync(join(tmpdir(), 'parley-store-encrypted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
function freshDir(): string {
  const dir = join(root, `case-${counter++}`);
  mkdirSync(dir);
  return dir;
}

describeRecordStore('EncryptedRecordStore over memory', () =>
  EncryptedRecordStore.create(new MemoryRecordStore(), PASSPHRASE, crypto, { kdf: CHEAP }),
);
describeRecordStore('EncryptedRecordStore over SQLite', async () =>
  EncryptedRecordStore.create(await SqliteRecordStore.open(join(freshDir(), 'store.sqlite')), PASSPHRASE, crypto, {
    kdf: CHEAP,
  }),
);

/** An encrypted store over a memory store the test can reach into. */
async function layered(): Promise<{ inner: MemoryRecordStore; store: EncryptedRecordStore }> {
  const inner = new MemoryRecordStore();
  return { inner, store: await EncryptedRecordStore.create(inner, PASSPHRASE, crypto, { kdf: CHEAP }) };
}

async function metaOf(inner: RecordStore): Promise<Record<string, unknown>> {
  const raw = await inner.get(META_KIND, META_ID);
  if (raw === undefined) throw new Error('no meta');
  return JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown>;
}

/** Rejects with ClientError(code) whose message mentions none of `secrets`. */
async function expectQuietError(promise: Promise<unknown>, code: ClientError['code'], secrets: string[]) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ClientError.is(error, code), String(error)).toBe(true);
  for (const s of secrets) expect((error as ClientError).message).not.toContain(s);
  return error as ClientError;
}

describe('StoreCrypto over node:crypto', () => {
  it('computes scrypt as RFC 7914 §12 and as @noble/hashes', async () => {
    const out = await crypto.scrypt(text('password'), text('NaCl'), { N: 1024, r: 8, p: 16 }, 64);
    expect(toHex(out)).toBe(
      'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
    );
    const salt = crypto.randomBytes(16);
    const mine = await crypto.scrypt(text('pässword'), salt, CHEAP, 32);
    expect(mine).toEqual(nobleScrypt(text('pässword'), salt, { N: CHEAP.N, r: CHEAP.r, p: CHEAP.p, dkLen: 32 }));
  });

  it('seals AES-256-GCM as the GCM specification test cases 13 and 14 (SP 800-38D) and as @noble/ciphers', () => {
    const zeroKey = new Uint8Array(32);
    const zeroNonce = new Uint8Array(12);
    expect(toHex(crypto.aesGcmSeal(zeroKey, zeroNonce, new Uint8Array(0), new Uint8Array(0)))).toBe(
      '530f8afbc74536b9a963b4f1c4cb738b',
    );
    expect(toHex(crypto.aesGcmSeal(zeroKey, zeroNonce, new Uint8Array(16), new Uint8Array(0)))).toBe(
      'cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919',
    );
    const key = crypto.randomBytes(32);
    const nonce = crypto.randomBytes(12);
    const plaintext = crypto.randomBytes(100);
    const aad = text('parley-store-v1k\u0000id');
    const sealed = crypto.aesGcmSeal(key, nonce, plaintext, aad);
    expect(sealed).toEqual(gcm(key, nonce, aad).encrypt(plaintext));
    expect(crypto.aesGcmOpen(key, nonce, sealed, aad)).toEqual(plaintext);
  });

  it('returns null, never throws, for a sealed value that does not authenticate', () => {
    const key = crypto.randomBytes(32);
    const nonce = crypto.randomBytes(12);
    const sealed = crypto.aesGcmSeal(key, nonce, text('hello'), text('ad'));
    const flipped = sealed.slice();
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(crypto.aesGcmOpen(key, nonce, flipped, text('ad'))).toBeNull();
    expect(crypto.aesGcmOpen(key, nonce, sealed, text('other ad'))).toBeNull();
    expect(crypto.aesGcmOpen(crypto.randomBytes(32), nonce, sealed, text('ad'))).toBeNull();
    expect(crypto.aesGcmOpen(key, nonce, sealed.subarray(0, 10), text('ad'))).toBeNull();
  });
});

describe('passphrases', () => {
  it('are normalised with NFKC before UTF-8', () => {
    expect(passphraseBytes('caf\u00e9')).toEqual(passphraseBytes('cafe\u0301'));
    expect(passphraseBytes('\uff50\uff41\uff53\uff53')).toEqual(text('pass')); // full-width letters
    expect(passphraseBytes('caf\u00e9')).toEqual(new Uint8Array([0x63, 0x61, 0x66, 0xc3, 0xa9]));
  });

  it('open a store created with the same passphrase typed differently (composed or decomposed)', async () => {
    const inner = new MemoryRecordStore();
    const created = await EncryptedRecordStore.create(inner, 'n\u00e4chste Stra\u00dfe', crypto, { kdf: CHEAP });
    await created.commit([{ kind: 'k', id: 'a', value: text('secret') }]);
    const reopened = await EncryptedRecordStore.open(inner, 'na\u0308chste Stra\u00dfe', crypto);
    expect(await reopened.get('k', 'a')).toEqual(text('secret'));
    await reopened.close();
  });

  it('refuses a wrong passphrase with wrong-passphrase and the fixed message', async () => {
    const { inner, store } = await layered();
    await store.commit([{ kind: 'k', id: 'a', value: text('secret') }]);
    const error = await expectQuietError(
      EncryptedRecordStore.open(inner, 'Correct horse battery staple', crypto),
      'wrong-passphrase',
      [PASSPHRASE, 'Correct horse'],
    );
    expect(error.message).toBe(
      'The passphrase does not open this profile. Check it and try again (PARLEY_PASSPHRASE or the prompt).',
    );
    const again = await EncryptedRecordStore.open(inner, PASSPHRASE, crypto);
    expect(await again.get('k', 'a')).toEqual(text('secret'));
    await again.close();
  });

  it('refuses an empty passphrase (usage) on create and open, before touching the store', async () => {
    const inner = new MemoryRecordStore();
    await expectClientError(EncryptedRecordStore.create(inner, '', crypto, { kdf: CHEAP }), 'usage');
    expect(await inner.get(META_KIND, META_ID)).toBeUndefined();
    await EncryptedRecordStore.create(inner, PASSPHRASE, crypto, { kdf: CHEAP });
    await expectClientError(EncryptedRecordStore.open(inner, '', crypto), 'usage');
    await expectClientError(EncryptedRecordStore.open(inner, undefined as unknown as string, crypto), 'usage');
  });

  it('derive the same key for the same salt and parameters, a different key otherwise', async () => {
    const salt = crypto.randomBytes(16);
    const a = await deriveStoreKey(crypto, PASSPHRASE, salt, CHEAP);
    expect(a).toHaveLength(32);
    expect(await deriveStoreKey(crypto, PASSPHRASE, salt, CHEAP)).toEqual(a);
    expect(await deriveStoreKey(crypto, PASSPHRASE, crypto.randomBytes(16), CHEAP)).not.toEqual(a);
    expect(await deriveStoreKey(crypto, PASSPHRASE, salt, { ...CHEAP, N: 2 ** 11 })).not.toEqual(a);
    await expectClientError(deriveStoreKey(crypto, PASSPHRASE, salt, { N: 1000, r: 8, p: 1 }), 'usage');
    await expectClientError(deriveStoreKey(crypto, PASSPHRASE, new Uint8Array(8), CHEAP), 'usage');
  });
});

describe('EncryptedRecordStore', () => {
  it('creates, and opens, with the default scrypt cost (N = 2^17, r = 8, p = 1)', async () => {
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const inner = new MemoryRecordStore();
    const created = await EncryptedRecordStore.create(inner, PASSPHRASE, crypto);
    await created.commit([{ kind: 'k', id: 'a', value: text('secret') }]);
    const meta = await metaOf(inner);
    expect(meta).toMatchObject({ format: 'parley-store', version: 1, kdf: 'scrypt', N: 131072, r: 8, p: 1 });
    expect(meta.salt).toMatch(/^[0-9a-f]{32}$/);
    const opened = await EncryptedRecordStore.open(inner, PASSPHRASE, crypto);
    expect(await opened.get('k', 'a')).toEqual(text('secret'));
    await opened.close();
  }, 60_000);

  it('writes the chosen parameters and a random salt into the metadata', async () => {
    const a = await layered();
    const b = await layered();
    const metaA = await metaOf(a.inner);
    expect(metaA).toMatchObject({ N: CHEAP.N, r: CHEAP.r, p: CHEAP.p });
    expect(metaA.salt).not.toBe((await metaOf(b.inner)).salt);
    await expectClientError(
      EncryptedRecordStore.create(new MemoryRecordStore(), PASSPHRASE, crypto, { kdf: { N: 3000, r: 8, p: 1 } }),
      'usage',
    );
  });

  it('refuses to create over an existing profile (usage) and to open a store without one (no-profile)', async () => {
    const { inner } = await layered();
    await expectClientError(EncryptedRecordStore.create(inner, PASSPHRASE, crypto, { kdf: CHEAP }), 'usage');
    await expectClientError(EncryptedRecordStore.open(new MemoryRecordStore(), PASSPHRASE, crypto), 'no-profile');
  });

  it('stores nonce ‖ ciphertext ‖ tag with a fresh nonce per write, never the plaintext', async () => {
    const { inner, store } = await layered();
    const value = text('the same plaintext twice');
    await store.commit([
      { kind: 'k', id: 'a', value },
      { kind: 'k', id: 'b', value },
    ]);
    const a = (await inner.get('k', 'a')) as Uint8Array;
    const b = (await inner.get('k', 'b')) as Uint8Array;
    expect(a).toHaveLength(value.length + SEALED_OVERHEAD);
    expect(toHex(a)).not.toContain(toHex(value));
    expect(toHex(a.subarray(0, 12))).not.toBe(toHex(b.subarray(0, 12)));
    await store.commit([{ kind: 'k', id: 'a', value }]);
    expect(toHex((await inner.get('k', 'a')) as Uint8Array)).not.toBe(toHex(a));
  });

  it('reports a tampered or truncated value as store-corrupt, on get and on list', async () => {
    const { inner, store } = await layered();
    await store.commit([{ kind: 'k', id: 'secret-id', value: text('hello') }]);
    const sealed = (await inner.get('k', 'secret-id')) as Uint8Array;
    for (const bad of [
      sealed.map((x, i) => (i === 20 ? x ^ 0x01 : x)), // ciphertext bit
      sealed.map((x, i) => (i === 0 ? x ^ 0x80 : x)), // nonce bit
      sealed.map((x, i) => (i === sealed.length - 1 ? x ^ 0x01 : x)), // tag bit
      sealed.subarray(0, SEALED_OVERHEAD - 1),
      new Uint8Array(0),
    ]) {
      await inner.commit([{ kind: 'k', id: 'secret-id', value: bad }]);
      await expectQuietError(store.get('k', 'secret-id'), 'store-corrupt', ['secret-id', 'hello']);
      await expectQuietError(store.list('k'), 'store-corrupt', ['secret-id']);
    }
  });

  it('reports values swapped between ids, or moved to another kind, as store-corrupt', async () => {
    const { inner, store } = await layered();
    await store.commit([
      { kind: 'k', id: 'alice', value: text('for alice') },
      { kind: 'k', id: 'bob', value: text('for bob') },
    ]);
    const alice = (await inner.get('k', 'alice')) as Uint8Array;
    const bob = (await inner.get('k', 'bob')) as Uint8Array;
    await inner.commit([
      { kind: 'k', id: 'alice', value: bob },
      { kind: 'k', id: 'bob', value: alice },
      { kind: 'other', id: 'alice', value: alice },
    ]);
    await expectQuietError(store.get('k', 'alice'), 'store-corrupt', ['alice', 'bob']);
    await expectQuietError(store.get('k', 'bob'), 'store-corrupt', ['alice', 'bob']);
    await expectQuietError(store.get('other', 'alice'), 'store-corrupt', ['alice']);
    await expectQuietError(store.list('k'), 'store-corrupt', ['alice', 'bob']);
  });

  it('reports damaged or newer metadata as store-corrupt, a changed salt as wrong-passphrase', async () => {
    const { inner } = await layered();
    const meta = await metaOf(inner);
    const withMeta = async (value: Uint8Array) => {
      await inner.commit([{ kind: META_KIND, id: META_ID, value }]);
      return EncryptedRecordStore.open(inner, PASSPHRASE, crypto);
    };
    const json = (m: Record<string, unknown>) => text(JSON.stringify(m));
    await expectClientError(withMeta(new Uint8Array([0xff, 0xfe, 0x00])), 'store-corrupt');
    await expectClientError(withMeta(text('null')), 'store-corrupt');
    await expectClientError(withMeta(json({ ...meta, version: 2 })), 'store-corrupt');
    await expectClientError(withMeta(json({ ...meta, kdf: 'argon2id' })), 'store-corrupt');
    await expectClientError(withMeta(json({ ...meta, N: 2 ** 30 })), 'store-corrupt'); // would need 8 GiB
    await expectClientError(withMeta(json({ ...meta, N: 3000 })), 'store-corrupt');
    await expectClientError(withMeta(json({ ...meta, salt: 'abcd' })), 'store-corrupt');
    await expectClientError(withMeta(json({ ...meta, extra: 1 })), 'store-corrupt');
    const { check: _check, ...noCheck } = meta;
    await expectClientError(withMeta(json(noCheck)), 'store-corrupt');
    const salt = fromHex(meta.salt as string);
    salt[0] = (salt[0] as number) ^ 1;
    await expectClientError(withMeta(json({ ...meta, salt: toHex(salt) })), 'wrong-passphrase');
    const opened = await withMeta(json(meta));
    await opened.close();
  });

  it('reserves the kind "meta" (usage) and closes the wrapped store', async () => {
    const { inner, store } = await layered();
    await expectClientError(store.get(META_KIND, META_ID), 'usage');
    await expectClientError(store.list(META_KIND), 'usage');
    await expectClientError(store.commit([{ kind: META_KIND, id: 'x', value: text('x') }]), 'usage');
    await expectClientError(
      store.commit([
        { kind: 'k', id: 'ok', value: text('x') },
        { kind: META_KIND, id: META_ID, value: null },
      ]),
      'usage',
    );
    expect(await inner.get('k', 'ok')).toBeUndefined();
    expect(await inner.get(META_KIND, META_ID)).toBeDefined();
    await store.close();
    await expectClientError(inner.get('k', 'ok'), 'usage');
  });

  it('leaves no plaintext, key or passphrase in the SQLite files (db, -wal, -shm)', async () => {
    const message = 'Meet me at the old lighthouse at 23:40, and bring the blue notebook.';
    const key = new Uint8Array(randomBytes(32));
    const needles: [string, Uint8Array][] = [
      ['message (UTF-8)', text(message)],
      ['key (raw)', key],
      ['key (hex)', text(toHex(key))],
      ['key (HEX)', text(toHex(key).toUpperCase())],
      ['key (base64)', text(Buffer.from(key).toString('base64'))],
      ['key (base64url)', text(Buffer.from(key).toString('base64url'))],
      ['passphrase', text(PASSPHRASE)],
    ];
    const writeAll = (store: RecordStore) =>
      store.commit([
        { kind: 'message', id: 'm-7f3a', value: text(message) },
        { kind: 'identity', id: 'self', value: key },
        {
          kind: 'contact',
          id: 'c-91b2',
          value: text(
            JSON.stringify({
              note: message,
              hex: toHex(key),
              b64: Buffer.from(key).toString('base64'),
              b64url: Buffer.from(key).toString('base64url'),
            }),
          ),
        },
      ]);
    /** Which needles occur in any file of `dir`, and which files there are. */
    const search = (dir: string) => {
      const files = readdirSync(dir);
      const found: string[] = [];
      for (const file of files) {
        const bytes = readFileSync(join(dir, file));
        for (const [name, needle] of needles) if (bytes.indexOf(needle) !== -1) found.push(`${name} in ${file}`);
      }
      return { files, found };
    };

    // Control: the same writes through a plain SQLite store are found, so the search works.
    const plainDir = freshDir();
    const plain = await SqliteRecordStore.open(join(plainDir, 'store.sqlite'));
    await writeAll(plain);
    await plain.close();
    expect(search(plainDir).found).toEqual(
      expect.arrayContaining(['message (UTF-8) in store.sqlite', 'key (raw) in store.sqlite']),
    );

    const dir = freshDir();
    const store = await EncryptedRecordStore.create(
      await SqliteRecordStore.open(join(dir, 'store.sqlite')),
      PASSPHRASE,
      crypto,
      { kdf: CHEAP },
    );
    await writeAll(store);
    await store.commit([{ kind: 'message', id: 'm-7f3a', value: text(`${message} (edited)`) }]);
    const whileOpen = search(dir);
    expect(whileOpen.files.sort()).toEqual(['store.sqlite', 'store.sqlite-shm', 'store.sqlite-wal']);
    expect(whileOpen.found).toEqual([]);
    await store.close();
    const afterClose = search(dir);
    expect(afterClose.files).toContain('store.sqlite');
    expect(afterClose.found).toEqual([]);

    const reopened = await EncryptedRecordStore.open(
      await SqliteRecordStore.open(join(dir, 'store.sqlite')),
      PASSPHRASE,
      crypto,
    );
    expect(await reopened.get('identity', 'self')).toEqual(key);
    expect(await reopened.get('message', 'm-7f3a')).toEqual(text(`${message} (edited)`));
    await reopened.close();
  });
});
