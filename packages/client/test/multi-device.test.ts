/**
 * Several devices per account (docs/client.md §4.9) against a real server in this process: Alice
 * on two devices, Bob on one — fan-out both ways, sent-message sync, contact and read sync, device
 * names; and what a server or a removed device cannot do: ghost devices, replayed lists, lists
 * with a bad signature, a removed device's messages.
 */
import {
  accountIdOf,
  createInitiatorSession,
  decodeDeviceList,
  deviceId,
  encodeIdentity,
  encryptMessage,
  generateIdentity,
  publicIdentity,
  signDeviceList,
} from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { type ClientOptions, ParleyClient } from '../src/client.ts';
import { proveSession } from '../src/engine/device-proof.ts';
import { fanOut } from '../src/engine/fan-out.ts';
import { encodePayload, type OutgoingPayload } from '../src/engine/payload.ts';
import { type DeviceRecord, type PeerMailbox, put } from '../src/engine/records.ts';
import { auth, getRecord } from '../src/flows/context.ts';
import { introduceDevices } from '../src/flows/device-intro.ts';
import { refreshDeviceList } from '../src/flows/device-list.ts';
import { send } from '../src/flows/messages.ts';
import { devicesOf } from '../src/flows/peers.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { failureOf, KeptStore, meet, newClient, received } from './client-kit.ts';
import { addDevice, contextOf, manualClock } from './devices-kit.ts';

const server = useInProcessServer();

/** Everyone syncs, in turn, `rounds` times (intros and their welcomes take a round trip each). */
async function settle(clients: readonly ParleyClient[], rounds = 2): Promise<ClientEvent[]> {
  const events: ClientEvent[] = [];
  for (let i = 0; i < rounds; i++) for (const c of clients) events.push(...(await c.sync()));
  return events;
}

/** Alice (laptop, phone) and Bob, met and introduced. */
async function aliceTwiceAndBob() {
  const laptop = await newClient(server.url, 'Alice');
  const bob = await newClient(server.url, 'Bob');
  const { link } = await laptop.createInvitation();
  await bob.connect(link);
  await laptop.sync();
  await bob.sync();
  const { client: phone } = await addDevice(laptop, 2, { name: 'phone' });
  const events = await settle([phone, bob, laptop, phone]);
  return { laptop, phone, bob, events };
}

describe('two devices of Alice and one of Bob', () => {
  it('fans out both ways; what one device sends or reads shows on the other', async () => {
    const { laptop, phone, bob, events } = await aliceTwiceAndBob();
    expect(events).toContainEqual({ type: 'contact-device-added', contactId: expect.any(String), device: 2 });
    expect(events).toContainEqual({ type: 'device-added', device: 2 });
    expect((await bob.contact('Alice')).devices).toBe(2);
    expect((await laptop.contacts()).map((c) => c.name)).toEqual(['Bob']); // the self contact is not one

    // Bob → both of Alice's devices; read on one, it is read on the other (the same inbox ids).
    await bob.send('Alice', 'hi both');
    await phone.sync();
    await laptop.sync();
    expect((await phone.unread()).map((m) => m.text)).toEqual(['hi both']);
    expect((await laptop.unread({ take: true })).map((m) => m.text)).toEqual(['hi both']);
    await phone.sync();
    expect(await phone.unread()).toEqual([]);

    // Alice's laptop → Bob, and the phone shows it as sent by her.
    await laptop.send('Bob', 'from the laptop');
    expect(await received(bob)).toEqual(['from the laptop']);
    const synced = await phone.sync();
    // An app showing the conversation hears of it (once), as ours.
    expect(synced.filter((e) => e.type === 'sent-elsewhere').map((e) => e.message)).toMatchObject([
      { direction: 'out', text: 'from the laptop', contactId: (await phone.contact('Bob')).id },
    ]);
    expect((await phone.sync()).some((e) => e.type === 'sent-elsewhere')).toBe(false);
    const onPhone = await phone.messages('Bob');
    expect(onPhone.map((m) => [m.direction, m.text])).toEqual([
      ['in', 'hi both'],
      ['out', 'from the laptop'],
    ]);

    // The phone sends too: Bob gets it once, the laptop shows it as ours.
    await phone.send('Bob', 'from the phone');
    expect(await received(bob)).toEqual(['from the phone']);
    await laptop.sync();
    expect((await laptop.messages('Bob')).map((m) => [m.direction, m.text])).toEqual([
      ['in', 'hi both'],
      ['out', 'from the laptop'],
      ['out', 'from the phone'],
    ]);

    // Verification and a rename on the phone show on the laptop.
    await phone.verify('Bob');
    await phone.rename('Bob', 'Bobby');
    await laptop.sync();
    const seen = await laptop.contact('Bobby');
    expect(seen.verification).toBe('verified');

    // Devices and their names, and one safety number for the person whatever their devices.
    const devices = await laptop.devices();
    expect(devices.map((d) => [d.id, d.current, d.stale])).toEqual([
      [1, true, false],
      [2, false, false],
    ]);
    await laptop.renameDevice(1, 'laptop');
    await phone.sync();
    expect((await phone.devices()).map((d) => d.name)).toEqual(['laptop', 'phone']);
    expect((await bob.safetyNumber('Alice')).display).toBe((await laptop.safetyNumber('Bobby')).display);
    expect((await bob.safetyNumber('Alice')).display).toBe((await phone.safetyNumber('Bobby')).display);

    // Rotation with several devices is not supported yet: refused, nothing changed.
    expect((await failureOf(laptop.rotateIdentity())).code).toBe('usage');
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});

/** Client options whose server API can be made to serve a chosen device list (a lying server). */
function lyingServer(name: string) {
  const base = nodeClientOptions(name);
  let served: Uint8Array | null = null;
  const options: ClientOptions = {
    ...base,
    api: (url) =>
      new Proxy(base.api(url), {
        get(target, key) {
          if (key === 'getDeviceList' && served !== null) return async () => served;
          const v = Reflect.get(target, key, target);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      }),
  };
  return { options, serve: (list: Uint8Array | null) => (served = list) };
}

/** The device ids of a contact's records on `c`. */
async function deviceIdsOf(c: ParleyClient, contactId: string): Promise<number[]> {
  return (await devicesOf(contextOf(c), contactId)).map((d) => d.device);
}

describe('a contact added on one device', () => {
  it('reaches the other devices, which introduce themselves to the new contact', async () => {
    const { laptop, phone, bob } = await aliceTwiceAndBob();
    const carol = await newClient(server.url, 'Carol');
    const { link } = await laptop.createInvitation();
    await carol.connect(link);
    const events = await settle([laptop, carol, phone, carol, phone], 2);
    expect((await phone.contacts()).map((c) => c.name).sort()).toEqual(['Bob', 'Carol']);
    expect(events).toContainEqual({ type: 'contact-device-added', contactId: expect.any(String), device: 2 });
    expect((await carol.contact('Alice')).devices).toBe(2);
    await carol.send('Alice', 'hello both of you');
    await phone.sync();
    expect((await phone.messages('Carol')).map((m) => m.text)).toEqual(['hello both of you']);
    expect((await laptop.messages('Carol')).map((m) => m.text)).toEqual([]);
    await laptop.sync();
    expect((await laptop.messages('Carol')).map((m) => m.text)).toEqual(['hello both of you']);
    for (const c of [laptop, phone, bob, carol]) await c.close();
  }, 120_000);
});

describe('sync payloads from a contact', () => {
  it('are ignored: a contact cannot write our history, add contacts or mark messages read', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    await bob.send('Alice', 'unread, and stays so');
    await alice.sync();
    const b = contextOf(bob);
    const aliceId = (await bob.contact('Alice')).id;
    const bobIdentity = encodeIdentity(publicIdentity(b.profile.identity));
    const [inbox] = await alice.unread();
    const forged: OutgoingPayload[] = [
      { t: 'sent', contact: bobIdentity, id: '000000000000000042', sentAt: 1, body: 'words put in my mouth' },
      {
        t: 'contact',
        identity: encodeIdentity(publicIdentity(generateIdentity(b.env))),
        name: 'Mallory',
        aliasSet: true,
        verification: 'verified',
        keySource: 'invitation',
        added: true,
        devices: [
          { device: 1, mailbox: { server: server.url, id: b.env.random(16), senderPrivateKey: b.env.random(32) } },
        ],
      },
      { t: 'read', ids: [inbox?.id as string] },
    ];
    await b.serial(async () => {
      const writes = [];
      for (const p of forged) writes.push(...fanOut(b.env, await devicesOf(b, aliceId), p, null, b.newId).writes);
      await b.commit(writes);
    });
    await bob.flushOutbox();
    await alice.sync();
    expect((await alice.messages('Bob')).map((m) => m.text)).toEqual(['unread, and stays so']);
    expect((await alice.contacts()).map((c) => c.name)).toEqual(['Bob']);
    expect((await alice.unread()).map((m) => m.text)).toEqual(['unread, and stays so']);
    // The session goes on: the next text arrives.
    await bob.send('Alice', 'still talking');
    expect(await received(alice)).toEqual(['unread, and stays so', 'still talking']);
    for (const c of [alice, bob]) await c.close();
  }, 120_000);
});

describe('what the server cannot do', () => {
  it('a device on the server but not on the signed list is never encrypted to; its intro is refused', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2);
    await settle([phone, bob, laptop]);
    // A ghost: registered on Alice's account (the test holds her identity key, as a removed
    // device would), never on her signed list.
    const { client: ghost } = await addDevice(laptop, 7, { listed: false });
    // Its intro goes to Bob (it does not stop itself, although our list does not name it).
    await introduceDevices(contextOf(ghost));
    const events = await bob.sync();
    const alice = (await bob.contact('Alice')).id;
    expect(events).toContainEqual({ type: 'unknown-device', contactId: alice, device: 7 });
    expect(await deviceIdsOf(bob, alice)).toEqual([1, 2]);
    await bob.send('Alice', 'not for ghosts');
    await ghost.sync();
    expect(await ghost.unread()).toEqual([]);
    expect((await bob.contact('Alice')).devices).toBe(2);
    for (const c of [laptop, phone, bob, ghost]) await c.close();
  }, 120_000);

  it('an older list replayed, or one with a bad signature, is refused; fan-out stays as it was', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const lying = lyingServer('bob');
    const bob = await ParleyClient.create(new KeptStore(), lying.options, { server: server.url, displayName: 'Bob' });
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2);
    await settle([phone, bob, laptop]);
    const withPhone = contextOf(laptop).profile.deviceList as Uint8Array;
    await laptop.removeDevice(2);
    await bob.sync();
    const alice = (await bob.contact('Alice')).id;
    expect(await deviceIdsOf(bob, alice)).toEqual([1]);
    const held = (await getRecord(contextOf(bob), 'contact', alice))?.deviceList;

    // The server serves the old list (with the removed phone on it).
    lying.serve(withPhone);
    const replayed: ClientEvent[] = [];
    const off = bob.on((e) => replayed.push(e));
    await refreshDeviceList(contextOf(bob), alice);
    expect(replayed).toContainEqual({ type: 'device-list-rollback', contactId: alice, reason: 'older' });
    // A list whose signature does not verify.
    const forged = withPhone.slice();
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    lying.serve(forged);
    await refreshDeviceList(contextOf(bob), alice);
    expect(replayed).toContainEqual({ type: 'device-list-invalid', contactId: alice });
    off();
    expect((await getRecord(contextOf(bob), 'contact', alice))?.deviceList).toEqual(held);
    expect((await bob.contact('Alice')).devices).toBe(1);
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});

describe('removing a device', () => {
  it('the removed device gets nothing new, its messages are refused, and it is told', async () => {
    const { laptop, phone, bob } = await aliceTwiceAndBob();
    const alice = (await bob.contact('Alice')).id;
    await laptop.removeDevice(2);
    expect((await laptop.devices()).map((d) => d.id)).toEqual([1]);
    const bobEvents = await bob.sync();
    expect(bobEvents).toContainEqual({ type: 'contact-device-removed', contactId: alice, device: 2 });
    expect(await deviceIdsOf(bob, alice)).toEqual([1]);

    // Bob encrypts to the laptop only: the phone's mailbox for Bob gets nothing more.
    const phoneBox = (await devicesOf(contextOf(phone), (await phone.contact('Bob')).id))[0];
    await bob.send('Alice', 'after the removal');
    expect(await received(laptop)).toEqual(['after the removal']);
    const waiting = await contextOf(phone)
      .api(server.url)
      .readMailbox({
        id: phoneBox?.myMailbox.id as Uint8Array,
        recipientPrivateKey: phoneBox?.myMailbox.recipient.privateKey as Uint8Array,
      });
    expect(waiting).toEqual([]);

    // The phone learns it was removed, and refuses to send.
    const phoneEvents = await phone.sync();
    expect(phoneEvents).toContainEqual({ type: 'removed-from-account' });
    expect((await failureOf(phone.send('Bob', 'still here?'))).code).toBe('removed-from-account');
    // Past that guard (a removed device's own code), what it sends reaches no one.
    await send(contextOf(phone), 'Bob', 'let me in').catch(() => undefined);
    expect(await received(bob)).toEqual([]);
    expect(await received(laptop)).toEqual([]);
    expect((await laptop.messages('Bob')).map((m) => m.text)).not.toContain('let me in'); // no `sent` copy either
    // It still holds the identity and the laptop's mailbox with Bob (from linking): introducing
    // itself there again is refused, since Alice's list no longer names it.
    const n = contextOf(phone);
    const bobId = (await phone.contact('Bob')).id;
    const [viaLaptop] = await devicesOf(contextOf(laptop), (await laptop.contact('Bob')).id);
    // (Its server refuses it new mailboxes: it names the one it had.)
    const [had] = await devicesOf(n, bobId);
    const again: DeviceRecord = {
      ...(had as DeviceRecord),
      theirMailbox: viaLaptop?.theirMailbox as PeerMailbox,
      session: new Uint8Array(0),
      previousSessions: [],
      needsIntro: true,
    };
    await n.serial(() => n.commit([put('device', again.id, again)]));
    await introduceDevices(n);
    const refused = await bob.sync();
    expect(refused).toContainEqual({ type: 'unknown-device', contactId: alice, device: 2 });
    expect(await deviceIdsOf(bob, alice)).toEqual([1]);
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});

describe('a removed device posing as another', () => {
  it('cannot start a session as the laptop: it has the identity but not the laptop’s device key', async () => {
    const { laptop, phone, bob } = await aliceTwiceAndBob();
    const alice = (await bob.contact('Alice')).id;
    await laptop.removeDevice(2);
    await bob.sync();
    // The phone keeps the identity and, from linking, the mailbox Bob gave the laptop.
    const n = contextOf(phone);
    const [viaLaptop] = await devicesOf(contextOf(laptop), (await laptop.contact('Bob')).id);
    const bobIdentity = publicIdentity(contextOf(bob).profile.identity);
    const bundle = await n.api(server.url).fetchBundle(accountIdOf(bobIdentity), deviceId(1));
    const session = createInitiatorSession(n.env, n.profile.identity, deviceId(1), bundle, bobIdentity, {
      sealed: true,
    });
    for (const proof of [undefined, proveSession(n.env, n.profile.deviceKeys.privateKey, session, bobIdentity)]) {
      const { message } = encryptMessage(
        n.env,
        session,
        encodePayload(proof === undefined ? { t: 'reset' } : { t: 'reset', proof }),
      );
      const mailbox = viaLaptop?.theirMailbox as PeerMailbox;
      await n.api(mailbox.server).deliver(mailbox.id, mailbox.senderPrivateKey, message);
      const events = await bob.sync();
      expect(events).toContainEqual({ type: 'unknown-device', contactId: alice, device: 1 });
    }
    // Bob's session with the laptop is untouched: both ways still work.
    await bob.send('Alice', 'still between us');
    expect(await received(laptop)).toEqual(['still between us']);
    await laptop.send('Bob', 'indeed');
    expect(await received(bob)).toEqual(['indeed']);
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});

describe('removing a device after a crash', () => {
  it('a list published before the crash is taken from the server and announced on the retry', async () => {
    const { laptop, phone, bob } = await aliceTwiceAndBob();
    const e = contextOf(laptop);
    const current = decodeDeviceList(e.profile.deviceList as Uint8Array);
    // What removeDevice publishes first, then "crashes" before committing or announcing it.
    const next = signDeviceList(e.env, e.profile.identity, {
      version: current.version + 1,
      issuedAt: e.env.now(),
      devices: current.devices.filter((d) => d.deviceId !== 2),
    });
    await e.api(server.url).putDeviceList(auth(e), next);
    expect((await laptop.devices()).map((d) => d.id)).toEqual([1, 2]); // not committed here
    await laptop.removeDevice(2);
    expect((await laptop.devices()).map((d) => d.id)).toEqual([1]);
    const events = await bob.sync();
    expect(events).toContainEqual({ type: 'contact-device-removed', contactId: expect.any(String), device: 2 });
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});

describe('stale devices', () => {
  it('a device unheard for 30 days is marked stale, then dropped from fan-out after 60 more, with events', async () => {
    const clock = manualClock();
    const store = new KeptStore();
    const laptop = await ParleyClient.create(store, nodeClientOptions('alice', clock.env), {
      server: server.url,
      displayName: 'Alice',
    });
    const bob = await newClient(server.url, 'Bob');
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2);
    await settle([phone, bob, laptop]);
    const day = 24 * 60 * 60 * 1000;
    clock.advance(31 * day);
    await bob.send('Alice', 'Bob is around'); // Bob's device is heard: it stays fresh
    const stale = await laptop.sync();
    expect(stale).not.toContainEqual(expect.objectContaining({ type: 'device-stale', contactId: expect.any(String) }));
    expect(stale).toContainEqual({ type: 'device-stale', contactId: null, device: 2, dropped: false });
    expect((await laptop.devices()).find((d) => d.id === 2)?.stale).toBe(true);
    // Stale is still sent to.
    await laptop.send('Bob', 'while stale');
    await phone.sync();
    expect((await phone.messages('Bob')).map((m) => m.text)).toContain('while stale');

    clock.advance(61 * day);
    await bob.send('Alice', 'still around');
    const dropped = await laptop.sync();
    expect(dropped).toContainEqual({ type: 'device-stale', contactId: null, device: 2, dropped: true });
    expect((await laptop.devices()).find((d) => d.id === 2)?.dropped).toBe(true);
    await laptop.send('Bob', 'after the drop');
    await phone.sync();
    expect((await phone.messages('Bob')).map((m) => m.text)).not.toContain('after the drop');
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});

describe('adding a device', () => {
  it('leaves the safety number as it was', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(laptop, bob);
    const before = (await bob.safetyNumber('Alice')).display;
    const { client: phone } = await addDevice(laptop, 2);
    await settle([phone, bob, laptop]);
    expect((await bob.contact('Alice')).devices).toBe(2);
    expect((await bob.safetyNumber('Alice')).display).toBe(before);
    expect((await phone.safetyNumber('Bob')).display).toBe(before);
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});
