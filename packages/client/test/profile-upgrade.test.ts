/**
 * Opening a profile written at record version 1 (fixtures/profile-v1.json, made by
 * fixtures/make-profile-v1.ts with the code of that time): the upgrade to the split contact /
 * device / conversation records runs once, in one commit, and everything is still there — and
 * still works: the session with Bob opens a new message from Bob's side of the fixture.
 */
import { readFileSync } from 'node:fs';
import { defaultEnv } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ParleyClient } from '../src/client.ts';
import type { ClientOptions, PushHandlers } from '../src/client-options.ts';
import { encodeRecord } from '../src/engine/record-json.ts';
import { ClientError } from '../src/errors.ts';
import type { ServerApiLike } from '../src/net/server-api-types.ts';
import type { RecordWrite } from '../src/store/record-store.ts';
import { KeptStore } from './client-kit.ts';

interface Fixture {
  readonly alice: [string, string, string][];
  readonly bob: [string, string, string][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/profile-v1.json', import.meta.url), 'utf8')) as Fixture;

/** A store holding one profile of the fixture, counting the commits made to it. */
async function storeOf(rows: Fixture['alice']): Promise<KeptStore & { commits: number }> {
  const store = Object.assign(new KeptStore(), { commits: 0 });
  await store.commit(rows.map(([kind, id, hex]) => ({ kind, id, value: Buffer.from(hex, 'hex') })));
  const commit = store.commit.bind(store);
  store.commits = 0;
  store.commit = (writes: readonly RecordWrite[]) => {
    store.commits++;
    return commit(writes);
  };
  return store;
}

interface Delivery {
  readonly server: string;
  readonly mailboxId: Uint8Array;
  readonly envelope: Uint8Array;
}

/**
 * Options with no network: deliveries are recorded (and accepted), every other server call fails
 * as unreachable, and the push connection hands its handlers to the test.
 */
function offline(profile: string) {
  const delivered: Delivery[] = [];
  const pushed: PushHandlers[] = [];
  const api = (url: string): ServerApiLike =>
    new Proxy({ url } as ServerApiLike, {
      get(target, prop) {
        if (prop === 'url') return target.url;
        if (prop === 'deliver')
          return async (mailboxId: Uint8Array, _key: Uint8Array, envelope: Uint8Array) => {
            delivered.push({ server: url, mailboxId, envelope });
            return { seq: delivered.length, duplicate: false };
          };
        return async () => {
          throw new ClientError('server-unreachable', 'offline in this test');
        };
      },
    });
  const options: ClientOptions = {
    env: defaultEnv,
    profile,
    api,
    push: (_url, handlers) => {
      pushed.push(handlers);
      return {
        connected: false,
        subscribe: () => undefined,
        unsubscribe: () => undefined,
        close: () => undefined,
        send: async () => {
          throw new ClientError('server-unreachable', 'offline in this test');
        },
      };
    },
  };
  return { options, delivered, pushed };
}

describe('a profile written at record version 1', () => {
  it('is upgraded in one commit, and keeps its contacts, history, invitation, address, request and outbox', async () => {
    const store = await storeOf(fixture.alice);
    const { options, delivered } = offline('alice');
    const alice = await ParleyClient.open(store, options);
    expect(store.commits).toBe(1);

    const contacts = await alice.contacts();
    expect(contacts.map((c) => [c.name, c.state, c.keySource, c.verification, c.identityChanged])).toEqual([
      ['Bob', 'connected', 'invitation', 'verified', false],
      ['Carol', 'connected', 'address', 'unverified', false],
    ]);
    const [bob, carol] = contacts as [(typeof contacts)[0], (typeof contacts)[0]];
    expect(bob.conversationId).not.toBe(carol.conversationId);

    const withBob = await alice.messages('Bob');
    expect(withBob.map((m) => [m.direction, m.text, m.status])).toEqual([
      ['out', 'hello Bob', 'delivered'],
      ['in', 'hello Alice', 'received'],
      ['out', 'how are you?', 'delivered'],
      ['in', 'fine, thanks', 'received'],
      ['out', 'still queued', 'queued'],
    ]);
    for (const m of withBob) {
      expect(m.conversationId).toBe(bob.conversationId);
      expect(m.contactId).toBe(bob.id);
    }
    const withCarol = await alice.messages('Carol');
    expect(withCarol.map((m) => [m.direction, m.text, m.status])).toEqual([
      ['in', 'thanks for accepting', 'received'],
      ['out', 'welcome, Carol', 'delivered'],
    ]);
    expect(withCarol.every((m) => m.conversationId === carol.conversationId)).toBe(true);
    expect((await alice.safetyNumber('Bob')).display).toMatch(/^(\d{5} ){11}\d{5}$/);

    expect(await alice.invitations()).toHaveLength(1);
    expect((await alice.address())?.link).toMatch(/^parley:\/\/address\//);
    expect((await alice.requests()).map((r) => [r.name, r.message])).toEqual([['Dave', 'Dave from the conference']]);

    // The queued message still leaves, to Bob's mailbox, and is then `sent`.
    await alice.flushOutbox();
    expect(delivered).toHaveLength(1);
    expect((await alice.messages('Bob')).at(-1)).toMatchObject({ text: 'still queued', status: 'sent' });

    // Summaries did not exist in v1: the conversation list is computed from history and the inbox
    // (the inbox entries the fixture holds), then kept by the next commit that touches it.
    const unreadBefore = await alice.unread();
    const list = await alice.conversations();
    const counts = new Map(list.map((c) => [c.contactId, c.unread]));
    for (const c of [bob, carol]) {
      expect(counts.get(c.id)).toBe(unreadBefore.filter((m) => m.contactId === c.id).length);
    }
    expect(list.find((c) => c.contactId === bob.id)?.last?.text).toBe('still queued');
    await alice.markRead('Bob');
    expect((await alice.conversations()).find((c) => c.contactId === bob.id)?.unread).toBe(0);
    await alice.close();
  });

  it('keeps live sessions: a new message from Bob (his side of the fixture) is opened and shown', async () => {
    const bobNet = offline('bob');
    const bob = await ParleyClient.open(await storeOf(fixture.bob), bobNet.options);
    await bob.send('Alice', 'after the upgrade');
    expect(bobNet.delivered).toHaveLength(1);
    const sent = bobNet.delivered[0] as Delivery;

    const aliceNet = offline('alice');
    const alice = await ParleyClient.open(await storeOf(fixture.alice), aliceNet.options);
    await alice.start();
    const push = aliceNet.pushed[0] as PushHandlers;
    await push.onMessage({ mailboxId: sent.mailboxId, seq: 1_000, envelope: sent.envelope, receivedAt: 0 });
    const unread = await alice.unread(); // not taken: no read receipt, the last envelope is the delivery receipt
    const bobView = await alice.contact('Bob');
    expect(unread.map((m) => [m.text, m.contactId, m.conversationId])).toEqual([
      ['after the upgrade', bobView.id, bobView.conversationId],
    ]);
    // Alice answers with a receipt in the same session: Bob's message shows delivered there.
    await alice.flushOutbox();
    const receipt = aliceNet.delivered.at(-1) as Delivery;
    await bob.start();
    const bobPush = bobNet.pushed[0] as PushHandlers;
    await bobPush.onMessage({ mailboxId: receipt.mailboxId, seq: 1_000, envelope: receipt.envelope, receivedAt: 0 });
    expect((await bob.messages('Alice')).at(-1)).toMatchObject({ text: 'after the upgrade', status: 'delivered' });
    await alice.close();
    await bob.close();
  });

  it('is not upgraded twice: a second open writes nothing', async () => {
    const store = await storeOf(fixture.alice);
    await (await ParleyClient.open(store, offline('alice').options)).close();
    const upgraded = await store.snapshot();
    store.commits = 0;
    const again = await ParleyClient.open(store, offline('alice').options);
    expect(store.commits).toBe(0);
    expect(await store.snapshot()).toEqual(upgraded);
    expect((await again.contacts()).map((c) => c.name)).toEqual(['Bob', 'Carol']);
    await again.close();
  });
});

describe('records that do not match their schema', () => {
  it('are store-corrupt, as is a profile of an unknown version', async () => {
    const store = await storeOf(fixture.alice);
    const alice = await ParleyClient.open(store, offline('alice').options);
    const [bob] = await alice.contacts();
    await store.commit([{ kind: 'contact', id: bob?.id ?? '', value: encodeRecord({ v: 2, id: bob?.id, name: 7 }) }]);
    await expect(alice.contacts()).rejects.toMatchObject({ code: 'store-corrupt' });
    await alice.close();

    const future = await storeOf(fixture.alice);
    const profile = JSON.parse(Buffer.from((await future.get('profile', 'self')) as Uint8Array).toString('utf8'));
    await future.commit([{ kind: 'profile', id: 'self', value: Buffer.from(JSON.stringify({ ...profile, v: 3 })) }]);
    await expect(ParleyClient.open(future, offline('alice').options)).rejects.toMatchObject({ code: 'store-corrupt' });
    expect(future.commits).toBe(1); // only the test's own: nothing was changed by the refused open
  });
});
