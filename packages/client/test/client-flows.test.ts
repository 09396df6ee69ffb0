/**
 * The SDK end to end against a real server over HTTP and WebSocket (in this process): meeting by invitation and by address,
 * messages both ways and offline, receipts, verification and identity changes, session resets.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { ParleyClient } from '../src/client.ts';
import { ClientError } from '../src/errors.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { KeptStore, meet, newClient, received, reopen } from './client-kit.ts';

const server = useInProcessServer();

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof ClientError) return e.code;
    throw e;
  }
}

describe('meeting by invitation', () => {
  it('connects both sides, then messages flow both ways with receipts', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    const { link } = await alice.createInvitation();
    expect(link.startsWith('parley://invite/')).toBe(true);
    const pending = await bob.connect(link);
    expect(pending.state).toBe('pending');
    expect(pending.keySource).toBe('invitation');

    const aliceEvents = await alice.sync();
    expect(aliceEvents.map((e) => e.type)).toContain('contact-connected');
    expect((await alice.contacts()).map((c) => [c.name, c.state])).toEqual([['Bob', 'connected']]);
    await bob.sync();
    expect((await bob.contacts()).map((c) => [c.name, c.state])).toEqual([['Alice', 'connected']]);

    const sent = await bob.send('Alice', 'hello Alice');
    expect(sent.status).toBe('sent');
    await alice.send('bob', 'hello Bob'); // names are case-insensitive
    expect(await received(alice)).toEqual(['hello Alice']);
    expect(await received(bob)).toEqual(['hello Bob']);
    await bob.sync(); // the receipts for bob's message: delivered, then read (Alice took it)
    const history = await bob.messages('Alice');
    expect(history.map((m) => [m.direction, m.text, m.status])).toEqual([
      ['out', 'hello Alice', 'read'],
      ['in', 'hello Bob', 'received'],
    ]);
    expect((await alice.safetyNumber('Bob')).display).toBe((await bob.safetyNumber('Alice')).display);
    await alice.close();
    await bob.close();
  }, 60_000);

  it('refuses used, expired, own, foreign and malformed links with their codes', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    const carol = await newClient(server.url, 'Carol');
    const { link } = await alice.createInvitation();
    expect(await codeOf(alice.connect(link))).toBe('own-link');
    await bob.connect(link);
    await alice.sync();
    expect(await codeOf(carol.connect(link))).toBe('invitation-used');
    const expired = await alice.createInvitation({ ttlMs: -1 });
    expect(await codeOf(carol.connect(expired.link))).toBe('invitation-expired');
    await alice.sync(); // withdraws expired invitations
    expect((await alice.invitations()).map((i) => i.id)).not.toContain(expired.id);
    expect(await codeOf(carol.connect(link.slice(0, 60)))).toBe('bad-link');
    expect(await codeOf(carol.connect(`${link.slice(0, -2)}A`))).toBe('bad-link');
    expect(await codeOf(carol.connect('https://example.com/invite/abc'))).toBe('bad-link');
    const { link: address } = await alice.createAddress();
    expect(await codeOf(carol.connect(address))).toBe('bad-link');
    expect(await carol.contacts()).toEqual([]); // nothing half-made
    for (const c of [alice, bob, carol]) await c.close();
  }, 60_000);

  it('a used invitation is refused even when its mailbox could not be deleted at once', async () => {
    // Alice's client cannot delete mailboxes at first (as if her server dropped that request).
    let deletesFail = true;
    const options = nodeClientOptions('alice');
    const api = (url: string) => {
      const real = options.api(url);
      return new Proxy(real, {
        get(target, key) {
          if (key === 'deleteMailbox' && deletesFail) {
            return async () => {
              throw new ClientError('server-unreachable', 'unreachable in this test');
            };
          }
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    const alice = await ParleyClient.create(
      new KeptStore(),
      { ...options, api },
      { server: server.url, displayName: 'Alice' },
    );
    const bob = await newClient(server.url, 'Bob');
    const carol = await newClient(server.url, 'Carol');
    const { link } = await alice.createInvitation();
    await bob.connect(link);
    await alice.sync(); // Bob is connected; deleting the one-time mailbox failed
    expect((await alice.contacts()).map((c) => c.name)).toEqual(['Bob']);
    expect(await alice.invitations()).toEqual([]);
    deletesFail = false;
    await alice.sync(); // tried again
    expect(await codeOf(carol.connect(link))).toBe('invitation-used');
    for (const c of [alice, bob, carol]) await c.close();
  }, 60_000);
});

describe('meeting by contact address', () => {
  it('a request with an introduction is listed, accepted or rejected', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    const carol = await newClient(server.url, 'Carol');
    const { link } = await alice.createAddress();
    expect((await alice.createAddress()).link).toBe(link); // one per profile

    const fromBob = await bob.sendRequest(link, { message: "hi, it's Bob from the meetup", name: 'Alice' });
    expect(fromBob).toMatchObject({ state: 'pending', keySource: 'address', name: 'Alice' });
    await carol.sendRequest(link, { message: 'buy my stuff' });
    const events = await alice.sync();
    expect(events.filter((e) => e.type === 'contact-request')).toHaveLength(2);
    const requests = await alice.requests();
    expect(requests.map((r) => [r.name, r.message])).toEqual([
      ['Bob', "hi, it's Bob from the meetup"],
      ['Carol', 'buy my stuff'],
    ]);
    await alice.acceptRequest(requests[0]?.id as string);
    await alice.rejectRequest(requests[1]?.id as string);
    expect(await alice.requests()).toEqual([]);
    expect(await codeOf(alice.acceptRequest(requests[1]?.id as string))).toBe('unknown-request');
    expect((await alice.contacts()).map((c) => c.name)).toEqual(['Bob']);

    await bob.sync();
    expect((await bob.contact('Alice')).state).toBe('connected');
    await bob.send('Alice', 'thanks for accepting');
    expect(await received(alice)).toEqual(['thanks for accepting']);
    await carol.sync();
    expect((await carol.contacts())[0]?.state).toBe('pending');
    expect(await codeOf(carol.send('contact', 'hello?'))).toBe('not-connected');

    expect(await alice.revokeAddress()).toBe(true);
    expect(await codeOf(carol.sendRequest(link))).toBe('address-revoked');
    for (const c of [alice, bob, carol]) await c.close();
  }, 60_000);
});

describe('delivery', () => {
  it('messages sent while the other side is offline arrive in order, once, after a restart', async () => {
    const aliceStore = new KeptStore();
    let alice = await newClient(server.url, 'Alice', aliceStore);
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    await alice.close(); // offline
    for (let i = 1; i <= 5; i++) await bob.send('Alice', `offline ${i}`);
    alice = await reopen(aliceStore, 'alice');
    expect(await received(alice)).toEqual(['offline 1', 'offline 2', 'offline 3', 'offline 4', 'offline 5']);
    expect(await received(alice)).toEqual([]);
    expect((await alice.messages('Bob')).length).toBe(5);
    await alice.close();
    await bob.close();
  }, 60_000);

  it('a running client gets pushed messages as events', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    const got: ClientEvent[] = [];
    const arrived = new Promise<void>((resolve) => {
      alice.on((e) => {
        got.push(e);
        if (e.type === 'message') resolve();
      });
    });
    await alice.start();
    await new Promise((r) => setTimeout(r, 300));
    await bob.send('Alice', 'pushed');
    await arrived;
    const m = got.find((e) => e.type === 'message');
    expect(m?.type === 'message' && m.message.text).toBe('pushed');

    // A sync with a wait on a running client leaves the app's connection up.
    await alice.sync({ waitMs: 50 });
    const again = new Promise<string>((resolve) => {
      const off = alice.on((e) => {
        if (e.type === 'message') {
          off();
          resolve(e.message.text);
        }
      });
    });
    await bob.send('Alice', 'still pushed');
    expect(await again).toBe('still pushed');
    await alice.close();
    await bob.close();
  }, 60_000);

  it('events() is an async iterator of the same events that ends when the client closes', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    const texts: string[] = [];
    const reading = (async () => {
      for await (const e of alice.events()) {
        if (e.type === 'message') texts.push(e.message.text);
      }
    })();
    await bob.send('Alice', 'one');
    await bob.send('Alice', 'two');
    await alice.sync();
    await new Promise((r) => setTimeout(r, 50));
    await alice.close();
    await reading; // ends instead of hanging
    expect(texts).toEqual(['one', 'two']);
    await bob.close();
  }, 60_000);
});

describe('verification and identity changes', () => {
  async function pair(): Promise<[ParleyClient, ParleyClient]> {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    return [alice, bob];
  }

  it('a verified contact whose identity changes is flagged and blocked until accepted', async () => {
    const [alice, bob] = await pair();
    await alice.verify('Bob');
    expect((await alice.contact('Bob')).verification).toBe('verified');
    const before = (await alice.safetyNumber('Bob')).display;

    await bob.rotateIdentity(); // a reinstall that kept the contact list
    const events = await alice.sync();
    expect(events.map((e) => e.type)).toContain('identity-changed');
    const changed = await alice.contact('Bob');
    expect(changed.identityChanged).toBe(true);
    expect((await alice.safetyNumber('Bob')).display).not.toBe(before);
    expect(await codeOf(alice.send('Bob', 'are you still you?'))).toBe('identity-changed');

    await alice.acceptIdentityChange('Bob');
    expect(await alice.contact('Bob')).toMatchObject({ identityChanged: false, verification: 'unverified' });
    await alice.send('Bob', 'welcome back');
    expect(await received(bob)).toEqual(['welcome back']);
    await bob.send('Alice', 'thanks');
    expect(await received(alice)).toEqual(['thanks']);
    expect((await alice.safetyNumber('Bob')).display).toBe((await bob.safetyNumber('Alice')).display);
    await alice.close();
    await bob.close();
  }, 60_000);

  it('a rotation finishes even when a contact rotated first (their old account is gone)', async () => {
    const [alice, bob] = await pair();
    await bob.rotateIdentity(); // Bob's old account, and so his old bundle, is deleted
    await alice.rotateIdentity(); // Alice still pins Bob's old identity: his bundle is 404
    await alice.sync(); // nothing left over to fail every sync from now on
    expect((await alice.contacts()).map((c) => c.name)).toEqual(['Bob']);
    await alice.close();
    await bob.close();
  }, 60_000);

  it('an unverified contact whose identity changes is flagged but not blocked', async () => {
    const [alice, bob] = await pair();
    await bob.rotateIdentity();
    await alice.sync();
    expect((await alice.contact('Bob')).identityChanged).toBe(true);
    await alice.send('Bob', 'still works');
    expect(await received(bob)).toEqual(['still works']);
    await alice.close();
    await bob.close();
  }, 60_000);
});

describe('session management', () => {
  it('both sides resetting at once converge on one session', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    await Promise.all([alice.resetSession('Bob'), bob.resetSession('Alice')]);
    await alice.send('Bob', 'a1');
    await bob.send('Alice', 'b1');
    expect(await received(alice)).toEqual(['b1']);
    expect(await received(bob)).toEqual(['a1']);
    for (let i = 0; i < 3; i++) {
      await alice.send('Bob', `a${i + 2}`);
      await bob.send('Alice', `b${i + 2}`);
      expect(await received(bob)).toEqual([`a${i + 2}`]);
      expect(await received(alice)).toEqual([`b${i + 2}`]);
    }
    await alice.close();
    await bob.close();
  }, 60_000);

  it('a device that lost its state recovers: the gap is reported, later messages flow', async () => {
    const bobStore = new KeptStore();
    const alice = await newClient(server.url, 'Alice');
    let bob = await newClient(server.url, 'Bob', bobStore);
    await meet(alice, bob);
    await bob.send('Alice', 'before');
    expect(await received(alice)).toEqual(['before']);
    const snapshot = await bobStore.snapshot();
    await alice.send('Bob', 'one');
    expect(await received(bob)).toEqual(['one']);
    await bob.send('Alice', 'two');
    expect(await received(alice)).toEqual(['two']);
    await alice.send('Bob', 'three');
    await bob.close();
    await bobStore.restore(snapshot); // an old backup: ratchet state from before
    bob = await reopen(bobStore, 'bob');
    const events = await bob.sync();
    expect(events.map((e) => e.type)).toContain('undecryptable');
    await alice.sync(); // takes bob's new session
    await alice.send('Bob', 'after');
    expect(await received(bob)).toContain('after');
    await bob.send('Alice', 'back');
    expect(await received(alice)).toContain('back');
    await alice.close();
    await bob.close();
  }, 60_000);
});
