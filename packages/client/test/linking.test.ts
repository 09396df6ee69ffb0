/**
 * Linking a second device, SDK level against an in-process server (docs/client.md §4.10): the
 * happy path with a history of 1,000 messages, then every way it must end with nothing linked.
 */
import { defaultEnv, LINK_REQUEST_BYTES, parseAccountId, WireType } from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../src/client.ts';
import { ParleyClient } from '../src/client.ts';
import type { ServerApiLike } from '../src/net/server-api-types.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { failureOf, KeptStore, meet, newClient, reopen } from './client-kit.ts';

const server = useInProcessServer();
const POLL = 20;

async function phoneJoin(link: string, store = new KeptStore(), options: ClientOptions = nodeClientOptions('phone')) {
  return ParleyClient.join(store, options, { link, deviceName: 'phone', history: { kind: 'all' }, pollMs: POLL });
}

/** The link frame kind of an envelope (protocol link-frames.ts), or null for a handshake message. */
const frameKind = (e: Uint8Array) => (e[0] === 1 && e[1] === WireType.linkFrame ? (e[2] ?? null) : null);

/** Client options whose server API passes every delivery through `edit` first (a meddling server or a crash). */
function meddling(profile: string, edit: (envelope: Uint8Array) => Uint8Array): ClientOptions {
  const base = nodeClientOptions(profile);
  return {
    ...base,
    api: (url) => {
      const api = base.api(url);
      return new Proxy(api, {
        get(target, key, receiver) {
          if (key === 'deliver') {
            return (id: Uint8Array, sender: Uint8Array, envelope: Uint8Array) =>
              target.deliver(id, sender, edit(envelope));
          }
          const v = Reflect.get(target, key, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      }) as ServerApiLike;
    },
  };
}

/** Client options whose server API silently drops the deliveries `drop` picks (a withholding server). */
function dropping(profile: string, drop: (envelope: Uint8Array) => boolean): ClientOptions {
  const base = nodeClientOptions(profile);
  return {
    ...base,
    api: (url) =>
      new Proxy(base.api(url), {
        get(target, key, receiver) {
          if (key === 'deliver') {
            return async (id: Uint8Array, sender: Uint8Array, envelope: Uint8Array) =>
              drop(envelope) ? { seq: 1, duplicate: false } : target.deliver(id, sender, envelope);
          }
          const v = Reflect.get(target, key, receiver);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      }) as ServerApiLike,
  };
}

/** Alice with Bob as a contact and `n` messages of `size` characters between them. */
async function aliceWithHistory(n: number, size = 10) {
  const aliceStore = new KeptStore();
  const alice = await newClient(server.url, 'Alice', aliceStore);
  const bob = await newClient(server.url, 'Bob');
  await meet(alice, bob);
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = `${i} `.padEnd(size, 'x');
    texts.push(t);
    await (i % 2 === 0 ? alice.send('Bob', t) : bob.send('Alice', t));
    if (i % 100 === 99) await Promise.all([alice.sync(), bob.sync()]);
  }
  await Promise.all([alice.sync(), bob.sync()]);
  await alice.sync();
  return { alice, aliceStore, bob, texts };
}

/** Nothing linked: no device list published, no linking left on Alice; the phone's store is empty. */
async function nothingLinked(alice: ParleyClient, aliceStore: KeptStore, phoneStore: KeptStore) {
  expect(await phoneStore.list('linking')).toEqual([]);
  expect(await phoneStore.list('profile')).toEqual([]);
  expect(await aliceStore.list('linking')).toEqual([]);
  const api = nodeClientOptions('check').api(server.url);
  expect(await api.getDeviceList(parseAccountId(alice.profile.accountId))).toBeNull();
}

describe('linking a device', () => {
  it('links, and the new device gets the identity, the contacts and 1,000 messages in order', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    const texts: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = `message ${i}`;
      texts.push(t);
      if (i % 2 === 0) await alice.send('Bob', t);
      else await bob.send('Alice', t);
      if (i % 100 === 99) {
        await alice.sync();
        await bob.sync();
      }
    }
    await alice.sync();
    const progress: number[] = [];
    const session = await alice.linkDevice({ pollMs: POLL, onProgress: (p) => progress.push(p.sent) });
    expect(session.link.startsWith('parley://link/')).toBe(true);
    const phoneStore = new KeptStore();
    const join = await phoneJoin(session.link, phoneStore);
    const [codeE, codeN] = await Promise.all([session.code(), join.code()]);
    expect(codeE).toMatch(/^[0-9]{6}$/);
    expect(codeN).toBe(codeE);
    session.confirm(true);
    join.confirm(true);
    const [result, phone] = await Promise.all([session.done, join.done]);
    expect(result.deviceName).toBe('phone');
    expect(phone.profile.accountId).toBe(alice.profile.accountId);
    expect((await phone.contacts()).map((c) => c.name)).toEqual(['Bob']);
    const history = await phone.messages('Bob', { limit: 2000 });
    expect(history.map((m) => m.text)).toEqual(texts);
    expect(history.filter((m) => m.direction === 'out').length).toBe(500);
    // The conversation list on the new device: the last message, nothing unread (history is not new mail).
    expect((await phone.conversations()).map((c) => [c.unread, c.last?.text])).toEqual([[0, texts.at(-1)]]);
    expect(progress.at(-1)).toBe(result.items);
    expect(await phoneStore.get('linking', 'self')).toBeUndefined();
    await phone.close();
    await alice.close();
    await bob.close();
  }, 120_000);

  it("a server that substitutes the new device's key makes the codes differ: refused on both sides", async () => {
    const { alice, aliceStore, bob } = await aliceWithHistory(2);
    const session = await alice.linkDevice({ pollMs: POLL });
    const phoneStore = new KeptStore();
    const mitm = meddling('phone', (e) => {
      if (e.length !== LINK_REQUEST_BYTES) return e;
      const swapped = e.slice();
      swapped.set(defaultEnv.crypto.x25519PublicKey(defaultEnv.crypto.randomBytes(32)), 2); // e_N replaced
      return swapped;
    });
    const join = await phoneJoin(session.link, phoneStore, mitm);
    const [codeE, codeN] = await Promise.all([session.code(), join.code()]);
    expect(codeN).not.toBe(codeE);
    join.confirmCode(codeE); // the user types what the existing device shows
    expect((await failureOf(join.done)).code).toBe('link-code-mismatch');
    session.confirm(true);
    expect((await failureOf(session.done)).code).toMatch(/^link-(code-mismatch|tampered)$/);
    await nothingLinked(alice, aliceStore, phoneStore);
    await alice.close();
    await bob.close();
  }, 60_000);

  it('a flipped byte in a frame ends the linking as tampered on both sides', async () => {
    const { alice, aliceStore, bob } = await aliceWithHistory(2);
    const session = await alice.linkDevice({ pollMs: POLL });
    const phoneStore = new KeptStore();
    const flip = meddling('phone', (e) => {
      if (frameKind(e) !== 1) return e; // the confirm frame
      const f = e.slice();
      f[f.length - 1] = (f[f.length - 1] ?? 0) ^ 1;
      return f;
    });
    const join = await phoneJoin(session.link, phoneStore, flip);
    await Promise.all([session.code(), join.code()]);
    join.confirm(true);
    session.confirm(true);
    expect((await failureOf(session.done)).code).toBe('link-tampered');
    expect((await failureOf(join.done)).code).toBe('link-tampered');
    await nothingLinked(alice, aliceStore, phoneStore);
    await alice.close();
    await bob.close();
  }, 60_000);

  it('declining on either device ends it with nothing linked', async () => {
    const { alice, aliceStore, bob } = await aliceWithHistory(2);
    for (const who of ['existing', 'new'] as const) {
      const session = await alice.linkDevice({ pollMs: POLL });
      const phoneStore = new KeptStore();
      const join = await phoneJoin(session.link, phoneStore);
      await Promise.all([session.code(), join.code()]);
      if (who === 'existing') {
        session.confirm(false);
        join.confirm(true);
      } else {
        join.confirm(false);
        session.confirm(true);
      }
      expect((await failureOf(session.done)).code).toBe('link-aborted');
      expect((await failureOf(join.done)).code).toBe('link-aborted');
      await nothingLinked(alice, aliceStore, phoneStore);
    }
    await alice.close();
    await bob.close();
  }, 60_000);

  it('refuses an expired link, a used link and a malformed one', async () => {
    const { alice, bob } = await aliceWithHistory(2);
    const session = await alice.linkDevice({ pollMs: POLL });
    const later = { ...nodeClientOptions('phone'), env: { ...defaultEnv, now: () => Date.now() + 11 * 60_000 } };
    expect((await failureOf(phoneJoin(session.link, new KeptStore(), later))).code).toBe('link-expired');
    expect((await failureOf(phoneJoin(session.link.slice(0, 40)))).code).toBe('bad-link');
    const join = await phoneJoin(session.link);
    await Promise.all([session.code(), join.code()]);
    // A second device with the same link while the first is being linked.
    const second = await phoneJoin(session.link);
    expect((await failureOf(second.done)).code).toBe('link-used');
    session.confirm(true);
    join.confirm(true);
    const [, phone] = await Promise.all([session.done, join.done]);
    // And once linking is over.
    const third = await phoneJoin(session.link);
    expect((await failureOf(third.done)).code).toBe('link-used');
    await phone.close();
    await alice.close();
    await bob.close();
  }, 60_000);

  it('the existing device crashing mid-transfer resumes from the last acknowledged chunk, nothing doubled', async () => {
    const { alice, aliceStore, bob, texts } = await aliceWithHistory(120, 2000);
    let chunks = 0;
    const dying = meddling('alice', (e) => {
      if (frameKind(e) === 4 && ++chunks === 3) throw new Error('killed');
      return e;
    });
    const aliceDying = await ParleyClient.open(aliceStore, dying);
    await alice.close();
    const session = await aliceDying.linkDevice({ pollMs: POLL });
    const phoneStore = new KeptStore();
    const join = await phoneJoin(session.link, phoneStore);
    await Promise.all([session.code(), join.code()]);
    session.confirm(true);
    join.confirm(true);
    await expect(session.done).rejects.toThrow('killed');
    const restarted = await reopen(aliceStore, 'alice');
    const resumed = await restarted.linkDevice({ pollMs: POLL });
    expect(resumed.resumed).toBe(true);
    const [, phone] = await Promise.all([resumed.done, join.done]);
    const history = await phone.messages('Bob', { limit: 1000 });
    expect(history.map((m) => m.text)).toEqual(texts);
    expect(await aliceStore.list('linking')).toEqual([]);
    await phone.close();
    await restarted.close();
    await aliceDying.close().catch(() => undefined);
    await bob.close();
  }, 120_000);

  it('the new device crashing mid-transfer resumes with nothing doubled', async () => {
    const { alice, bob, texts } = await aliceWithHistory(120, 2000);
    let acks = 0;
    const dying = meddling('phone', (e) => {
      if (frameKind(e) === 6 && ++acks === 2) throw new Error('killed');
      return e;
    });
    const session = await alice.linkDevice({ pollMs: POLL });
    const phoneStore = new KeptStore();
    const join = await phoneJoin(session.link, phoneStore, dying);
    await Promise.all([session.code(), join.code()]);
    session.confirm(true);
    join.confirm(true);
    await expect(join.done).rejects.toThrow('killed');
    const again = await phoneJoin('ignored on resume', phoneStore);
    expect(again.resumed).toBe(true);
    const [, phone] = await Promise.all([session.done, again.done]);
    const history = await phone.messages('Bob', { limit: 1000 });
    expect(history.map((m) => m.text)).toEqual(texts);
    await phone.close();
    await alice.close();
    await bob.close();
  }, 120_000);

  it('a restart of the new device before the grant ends the linking and leaves its store empty', async () => {
    const { alice, aliceStore, bob } = await aliceWithHistory(2);
    const session = await alice.linkDevice({ pollMs: POLL });
    const phoneStore = new KeptStore();
    const join = await phoneJoin(session.link, phoneStore);
    await join.code();
    // The process dies here: the store holds the linking record only.
    expect((await phoneStore.list('linking')).length).toBe(1);
    expect((await failureOf(phoneJoin(session.link, phoneStore))).code).toBe('link-aborted');
    expect(await phoneStore.list('linking')).toEqual([]);
    join.cancel();
    session.cancel();
    expect((await failureOf(session.done)).code).toBe('link-aborted');
    await nothingLinked(alice, aliceStore, phoneStore);
    await alice.close();
    await bob.close();
  }, 60_000);

  it('a chunk the server withholds is sent again once no ack came, and the history is whole', async () => {
    const { aliceStore, alice, bob, texts } = await aliceWithHistory(60, 2000);
    let chunks = 0;
    const withholding = await ParleyClient.open(
      aliceStore,
      dropping('alice', (e) => frameKind(e) === 4 && ++chunks === 2),
    );
    await alice.close();
    const session = await withholding.linkDevice({ pollMs: POLL, resendAfterMs: 300 });
    const join = await phoneJoin(session.link);
    await Promise.all([session.code(), join.code()]);
    session.confirm(true);
    join.confirm(true);
    const [, phone] = await Promise.all([session.done, join.done]);
    expect(chunks).toBeGreaterThan(2);
    expect((await phone.messages('Bob', { limit: 1000 })).map((m) => m.text)).toEqual(texts);
    await phone.close();
    await withholding.close();
    await bob.close();
  }, 120_000);

  it('a restart of the existing device before the grant cancels the linking: the new device is told', async () => {
    const { aliceStore, alice, bob } = await aliceWithHistory(2);
    let dead = false;
    const base = nodeClientOptions('alice');
    const dying: ClientOptions = {
      ...base,
      api: (url) =>
        new Proxy(base.api(url), {
          get(target, key, receiver) {
            const v = Reflect.get(target, key, receiver);
            if (typeof v !== 'function') return v;
            return (...a: unknown[]) => {
              if (dead) throw new Error('killed'); // the process is gone: nothing more reaches the server
              return v.apply(target, a);
            };
          },
        }) as ServerApiLike,
    };
    const aliceDying = await ParleyClient.open(aliceStore, dying);
    await alice.close();
    const session = await aliceDying.linkDevice({ pollMs: POLL });
    const phoneStore = new KeptStore();
    const join = await phoneJoin(session.link, phoneStore);
    await Promise.all([session.code(), join.code()]);
    dead = true;
    await expect(session.done).rejects.toThrow('killed');
    expect((await aliceStore.list('linking')).length).toBe(1); // as the crash left it
    const restarted = await reopen(aliceStore, 'alice');
    const fresh = await restarted.linkDevice({ pollMs: POLL });
    expect(fresh.cancelledEarlier).toBe(true);
    expect(fresh.link).not.toBe(session.link);
    join.confirm(true);
    expect((await failureOf(join.done)).code).toBe('link-aborted');
    fresh.cancel();
    expect((await failureOf(fresh.done)).code).toBe('link-aborted');
    await nothingLinked(restarted, aliceStore, phoneStore);
    await restarted.close();
    await aliceDying.close().catch(() => undefined);
    await bob.close();
  }, 60_000);
});
