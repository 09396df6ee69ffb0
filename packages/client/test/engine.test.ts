/**
 * The pure engine without a server: link and payload codecs on hostile input, the prekey policy
 * over a fake clock, the session tie-break when both sides start at once, what a payload does to a
 * contact (receipts mark only our undelivered messages), whether a contact request is authentic and
 * for our address, and the order of record ids.
 */

import {
  base64url,
  createInitiatorSession,
  decodeBundle,
  decodeSession,
  defaultEnv,
  deviceId,
  encodeBundle,
  encodeIdentity,
  encodeSession,
  generateIdentity,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  kemPreKeyPublic,
  oneTimePreKeyPublic,
  type ProtocolEnv,
  publicIdentity,
  signedPreKeyPublic,
} from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openRequest, requestPayload } from '../src/engine/contact-request.ts';
import { openFromPeer, type ResponderKeySet, seal, tryInitialMessage } from '../src/engine/conversation.ts';
import { idSequence } from '../src/engine/id-sequence.ts';
import {
  decodeAddressLink,
  decodeInvitation,
  encodeAddressLink,
  encodeInvitation,
  type Invitation,
} from '../src/engine/links.ts';
import { pendingContact } from '../src/engine/new-contact.ts';
import { decodePayload, encodePayload, type OutgoingPayload, type Payload } from '../src/engine/payload.ts';
import { applyPayload, receiptIds } from '../src/engine/payload-effects.ts';
import { maintenanceDue, PREKEY_POLICY, planPreKeys } from '../src/engine/prekeys.ts';
import { newProfile } from '../src/engine/profile.ts';
import { decodeAs } from '../src/engine/record-schemas.ts';
import type { MessageRecord, OwnMailbox, Peer, ProfileRecord } from '../src/engine/records.ts';
import { ClientError } from '../src/errors.ts';

const env = defaultEnv;

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof ClientError) return e.code;
    throw e;
  }
}

const invitation = (): Invitation => ({
  server: 'https://parley.example.org:8443/base',
  identity: publicIdentity(generateIdentity(env)),
  device: deviceId(7),
  mailboxId: env.random(16),
  senderPrivateKey: env.random(32),
  expiresAt: 1_800_000_000_000,
});

describe('links', () => {
  it('invitations and addresses round-trip', () => {
    const inv = invitation();
    const back = decodeInvitation(env, encodeInvitation(inv));
    expect(back).toEqual(inv);
    const addr = {
      server: 'http://127.0.0.1:8787',
      identity: inv.identity,
      device: deviceId(1),
      addressId: env.random(16),
    };
    expect(decodeAddressLink(env, `  ${encodeAddressLink(addr)}\n`)).toEqual(addr);
  });

  it('every truncation and every single-byte change of an invitation is refused or decodes to other data', () => {
    const link = encodeInvitation(invitation());
    const payload = link.slice('parley://invite/'.length);
    for (let n = 0; n < payload.length; n++) {
      expect(codeOf(() => decodeInvitation(env, `parley://invite/${payload.slice(0, n)}`))).toBe('bad-link');
    }
    expect(codeOf(() => decodeInvitation(env, `${link}AA`))).toBe('bad-link');
  });

  it('random text never throws anything but bad-link', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const code = codeOf(() => decodeInvitation(env, `parley://invite/${base64url(bytes)}`));
        expect(code).toBe('bad-link');
      }),
      { numRuns: 300 },
    );
  });

  it('names the mix-up when an address is given as an invitation and vice versa', () => {
    const inv = invitation();
    const addr = encodeAddressLink({ ...inv, addressId: env.random(16) });
    expect(() => decodeInvitation(env, addr)).toThrow(/contact address/);
    expect(() => decodeAddressLink(env, encodeInvitation(inv))).toThrow(/invitation/);
  });

  it('refuses server URLs that are not plain http(s)', () => {
    for (const server of ['ftp://x', 'javascript:alert(1)', 'http://user:pw@host', 'https://h/?q=1', 'not a url']) {
      expect(
        codeOf(() => decodeInvitation(env, encodeInvitation({ ...invitation(), server }))),
        server,
      ).toBe('bad-link');
    }
  });
});

describe('payloads', () => {
  it('round-trip and refuse unknown types, extra fields and wrong sizes', () => {
    const text = { t: 'text', id: '1', sentAt: 5, body: 'hi' } as const;
    expect(decodePayload(encodePayload(text))).toEqual(text);
    const bad = [
      '{"t":"shout","body":"x"}',
      '{"t":"text","id":"1","sentAt":5,"body":"hi","extra":1}',
      '{"t":"receipt","ids":[]}',
      '{"t":"hello","name":"x","mailbox":{"server":"http://a","id":"AAAA","senderKey":"AAAA"}}',
      'not json',
      '\u00ff',
    ];
    for (const b of bad)
      expect(
        codeOf(() => decodePayload(new TextEncoder().encode(b))),
        b,
      ).toBe('bad-message');
    expect(codeOf(() => decodePayload(new Uint8Array([0xff, 0xfe])))).toBe('bad-message');
  });
});

function profileAt(clock: { now: number }): { env: ProtocolEnv; profile: ProfileRecord } {
  const e: ProtocolEnv = { ...env, now: () => clock.now };
  const identity = generateIdentity(e);
  return {
    env: e,
    profile: {
      v: 2,
      displayName: 'x',
      server: 'http://s',
      accountId: 'a',
      device: 1,
      identity,
      deviceKeys: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
      registered: true,
      signedPreKey: generateSignedPreKey(e, identity, 1),
      previousSignedPreKey: null,
      lastResortKem: generateKemPreKey(e, identity, 2, true),
      previousLastResortKem: null,
      nextPreKeyId: 3,
      lastMaintenance: 0,
    },
  };
}

describe('prekey policy', () => {
  it('a new device uploads the full targets; refills happen below the low marks, to the targets', () => {
    const clock = { now: 1_000_000 };
    const { env: e, profile } = profileAt(clock);
    const first = planPreKeys(e, profile, null);
    expect([first.oneTime.length, first.kem.length]).toEqual([PREKEY_POLICY.oneTimeTarget, PREKEY_POLICY.kemTarget]);
    const ids = [...first.oneTime, ...first.kem].map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(3);

    const full = planPreKeys(e, first.profile, { oneTime: PREKEY_POLICY.oneTimeLow, kem: PREKEY_POLICY.kemLow });
    expect([full.oneTime.length, full.kem.length, full.rotatedSigned, full.rotatedLastResort]).toEqual([
      0,
      0,
      false,
      false,
    ]);

    const low = planPreKeys(e, first.profile, { oneTime: 10, kem: 1 });
    expect([low.oneTime.length, low.kem.length]).toEqual([
      PREKEY_POLICY.oneTimeTarget - 10,
      PREKEY_POLICY.kemTarget - 1,
    ]);
    expect(Math.min(...low.oneTime.map((k) => k.id))).toBeGreaterThanOrEqual(first.profile.nextPreKeyId);
  });

  it('after a drain, refills to the targets, reports last-resort use and checks again within a minute', () => {
    const clock = { now: 1_000_000 };
    const { env: e, profile } = profileAt(clock);
    const first = planPreKeys(e, profile, null);
    expect(first.profile.lastResortServed).toBe(0);
    const quiet = planPreKeys(e, first.profile, { oneTime: 90, kem: 18, lastResortServed: 0 });
    expect([quiet.oneTime.length, quiet.kem.length, quiet.lastResortUsed]).toEqual([0, 0, 0]);
    expect(maintenanceDue(quiet.profile, clock.now + PREKEY_POLICY.drainCheckIntervalMs)).toBe(false);
    expect(maintenanceDue(quiet.profile, clock.now + PREKEY_POLICY.checkIntervalMs)).toBe(true);

    // Above the low marks, but the server served our last-resort key 7 times: refill to the targets.
    const drained = planPreKeys(e, quiet.profile, { oneTime: 90, kem: 12, lastResortServed: 7 });
    expect([drained.oneTime.length, drained.kem.length, drained.lastResortUsed]).toEqual([10, 8, 7]);
    expect(drained.profile.lastResortServed).toBe(7);
    expect(maintenanceDue(drained.profile, clock.now + PREKEY_POLICY.drainCheckIntervalMs - 1)).toBe(false);
    expect(maintenanceDue(drained.profile, clock.now + PREKEY_POLICY.drainCheckIntervalMs)).toBe(true);

    // Only what was served since the last check is reported; a calm check ends the watch.
    const again = planPreKeys(e, drained.profile, { oneTime: 100, kem: 20, lastResortServed: 9 });
    expect(again.lastResortUsed).toBe(2);
    const calm = planPreKeys(e, again.profile, { oneTime: 100, kem: 20, lastResortServed: 9 });
    expect(calm.lastResortUsed).toBe(0);
    expect(calm.profile.preKeysDraining).toBeUndefined();
    // Below a low mark without last-resort use (keys went fast) also brings the next check closer.
    const low = planPreKeys(e, calm.profile, { oneTime: 100, kem: 4, lastResortServed: 9 });
    expect(low.profile.preKeysDraining).toBe(true);
    // A new account's counter (after an identity rotation) starts below what we saw: all of it is new.
    expect(planPreKeys(e, calm.profile, { oneTime: 100, kem: 20, lastResortServed: 3 }).lastResortUsed).toBe(3);
    // A server that does not count reports nothing.
    expect(planPreKeys(e, calm.profile, { oneTime: 100, kem: 20 }).lastResortUsed).toBe(0);
  });

  it('rotates the signed prekey weekly and the last-resort key monthly, keeping the previous ones', () => {
    const clock = { now: 1_000_000 };
    const { env: e, profile } = profileAt(clock);
    const counts = { oneTime: 100, kem: 20 };
    clock.now += PREKEY_POLICY.signedRotationMs - 1;
    expect(planPreKeys(e, profile, counts).rotatedSigned).toBe(false);
    clock.now += 1;
    const week = planPreKeys(e, profile, counts);
    expect(week.rotatedSigned).toBe(true);
    expect(week.rotatedLastResort).toBe(false);
    expect(week.profile.previousSignedPreKey?.id).toBe(profile.signedPreKey.id);
    expect(week.profile.signedPreKey.id).not.toBe(profile.signedPreKey.id);
    clock.now = 1_000_000 + PREKEY_POLICY.lastResortRotationMs;
    const month = planPreKeys(e, week.profile, counts);
    expect(month.rotatedLastResort).toBe(true);
    expect(month.profile.previousLastResortKem?.id).toBe(profile.lastResortKem.id);
    expect(month.profile.lastResortKem.lastResort).toBe(true);
  });
});

/** A bundle of `p`'s keys as its server would serve it, with the private one-time keys it names. */
function bundleOf(p: ProfileRecord, n: number) {
  const otk = generateOneTimePreKeys(env, 1000 + n, 1)[0];
  const kem = generateKemPreKey(env, p.identity, 2000 + n, false);
  return {
    otk,
    kem,
    bundle: decodeBundle(
      encodeBundle({
        identity: publicIdentity(p.identity),
        deviceId: deviceId(1),
        signedPreKey: signedPreKeyPublic(p.signedPreKey),
        oneTimePreKey: otk ? oneTimePreKeyPublic(otk) : null,
        kemPreKey: kemPreKeyPublic(kem),
      }),
    ),
  };
}

describe('both sides start a session at once', () => {
  it('each side keeps the session with the smaller base key and both converge', () => {
    const clock = { now: 1 };
    const a = profileAt(clock);
    const b = profileAt(clock);
    const bundleA = bundleOf(a.profile, 1);
    const bundleB = bundleOf(b.profile, 2);
    const contactOf = (self: ProfileRecord, peer: ProfileRecord, bundle: ReturnType<typeof bundleOf>['bundle']) => {
      const session = createInitiatorSession(env, self.identity, deviceId(1), bundle, publicIdentity(peer.identity));
      const c: Peer = {
        contact: {
          v: 2,
          id: 'c',
          name: 'peer',
          aliasSet: false,
          keySource: 'invitation',
          verification: 'unverified',
          identity: encodeIdentity(publicIdentity(peer.identity)),
          replacedIdentity: null,
          state: 'connected',
          createdAt: 0,
          conversationId: 'k',
        },
        device: {
          v: 2,
          id: 'c/0000000000',
          contactId: 'c',
          device: 1,
          theirMailbox: null,
          myMailbox: {
            id: new Uint8Array(16),
            recipient: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
            sender: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
            lastSeq: 0,
          },
          session: encodeSession(session),
          previousSessions: [],
        },
      };
      return c;
    };
    // Both start a new session with the other at the same time and send `reset`.
    const aPeer = contactOf(a.profile, b.profile, bundleB.bundle);
    const bPeer = contactOf(b.profile, a.profile, bundleA.bundle);
    const aSide = { ...seal(env, aPeer.device, { t: 'reset' }), contact: aPeer.contact };
    const bSide = { ...seal(env, bPeer.device, { t: 'reset' }), contact: bPeer.contact };
    const keysFor = (p: ProfileRecord, k: ReturnType<typeof bundleOf>) => ({
      signed: p.signedPreKey,
      oneTime: k.otk ?? null,
      kem: k.kem,
      baseKeyUsed: false,
    });
    const aGot = openFromPeer(env, a.profile, aSide, bSide.envelope, keysFor(a.profile, bundleA));
    const bGot = openFromPeer(env, b.profile, bSide, aSide.envelope, keysFor(b.profile, bundleB));
    expect(aGot.kind).toBe('new-session');
    expect(bGot.kind).toBe('new-session');
    if (aGot.kind !== 'new-session' || bGot.kind !== 'new-session') return;
    expect(aGot.identityChanged).toBe(false);
    const aCurrent = decodeSession(aGot.peer.device.session).baseKey;
    const bCurrent = decodeSession(bGot.peer.device.session).baseKey;
    expect(aCurrent).toEqual(bCurrent); // the same session on both sides
    // And it works both ways.
    const m1 = seal(env, aGot.peer.device, { t: 'text', id: '1', sentAt: 1, body: 'x' });
    const r1 = openFromPeer(env, b.profile, bGot.peer, m1.envelope, null);
    expect(r1.kind === 'message' && r1.payload).toEqual({ t: 'text', id: '1', sentAt: 1, body: 'x' });
    expect(tryInitialMessage(new Uint8Array([1]))).toBeNull();
  });
});

const mailbox = (): OwnMailbox => ({
  id: env.random(16),
  recipient: { privateKey: env.random(32), publicKey: env.random(32) },
  sender: { privateKey: env.random(32), publicKey: env.random(32) },
  lastSeq: 0,
});

/** Alice's contact for Bob, with a session to Bob's keys; and the keys Bob needs to open it. */
function pair() {
  const alice = newProfile(env, 'Alice', 'http://a.example');
  const bob = newProfile(env, 'Bob', 'http://b.example');
  const { otk, kem, bundle } = bundleOf(bob, 1);
  const session = createInitiatorSession(env, alice.identity, deviceId(1), bundle, publicIdentity(bob.identity));
  const link = { keySource: 'address', identity: publicIdentity(bob.identity), device: 1, aliasSet: false } as const;
  const contact = pendingContact(
    env,
    { id: 'c1', name: 'Bob', conversationId: 'k1', myMailbox: mailbox() },
    link,
    session,
  );
  const keys: ResponderKeySet = { signed: bob.signedPreKey, oneTime: otk ?? null, kem, baseKeyUsed: false };
  return { alice, bob, contact, keys };
}

const outgoing = (id: string, status: MessageRecord['status'], direction: MessageRecord['direction'] = 'out') =>
  ({
    v: 2,
    id,
    conversationId: 'k1',
    direction,
    from: direction === 'in' ? { contactId: 'c1', device: 1 } : null,
    text: 'x',
    sentAt: 1,
    storedAt: 1,
    status,
    wireId: id,
  }) as const;

function frozen(p: Peer): Peer {
  return Object.freeze({
    contact: Object.freeze({ ...p.contact }),
    device: Object.freeze({ ...p.device, myMailbox: Object.freeze({ ...p.device.myMailbox }) }),
  });
}

describe('payload effects', () => {
  it('a receipt marks only outgoing, not yet delivered messages delivered, each once', () => {
    const { contact } = pair();
    const c = frozen(contact);
    const payload: Payload = { t: 'receipt', ids: ['m1', 'm2', 'm3', 'm1', 'm4', 'missing'] };
    expect(receiptIds(payload)).toEqual(['m1', 'm2', 'm3', 'm4', 'missing']);
    const messages = new Map<string, MessageRecord>([
      ['m1', outgoing('m1', 'sent')],
      ['m2', outgoing('m2', 'delivered')],
      ['m3', outgoing('m3', 'received', 'in')],
      ['m4', outgoing('m4', 'queued')],
    ]);
    const newId = () => {
      throw new Error('a receipt creates no records');
    };
    const r = applyPayload(env, c, payload, newId, messages);
    expect(r.peer).toBe(c);
    expect(r.events).toEqual([{ type: 'delivered', conversationId: 'k1', contactId: 'c1', messageIds: ['m1', 'm4'] }]);
    // Each delivered message also stops being resent (its `awaiting` record goes).
    expect(r.writes.map((w) => [w.kind, w.id, w.value === null])).toEqual([
      ['msg.k1', 'm1', false],
      ['awaiting', 'm1', true],
      ['msg.k1', 'm4', false],
      ['awaiting', 'm4', true],
    ]);
    for (const w of r.writes.filter((x) => x.kind === 'msg.k1'))
      expect(decodeAs('message', w.value as Uint8Array).status).toBe('delivered');
    // Nothing of ours named: no writes, no event.
    expect(applyPayload(env, c, { t: 'receipt', ids: ['m2'] }, newId, messages)).toEqual({
      peer: c,
      writes: [],
      events: [],
    });
  });

  it('a text is kept, put in the inbox and answered with a receipt once the contact can be reached', () => {
    const { contact } = pair();
    const text = { t: 'text', id: 'w1', sentAt: 7, body: 'hi' } as const;
    const newId = idSequence({ ...env, now: () => 5 });
    const pending = applyPayload(env, frozen(contact), text, newId, new Map());
    expect(pending.writes.map((w) => w.kind)).toEqual(['msg.k1', 'inbox']); // nowhere to send a receipt yet
    const reachable: Peer = {
      contact: contact.contact,
      device: {
        ...contact.device,
        theirMailbox: { server: 'http://b.example', id: env.random(16), senderPrivateKey: env.random(32) },
      },
    };
    const r = applyPayload(env, frozen(reachable), text, newId, new Map());
    expect(r.writes.map((w) => w.kind)).toEqual(['msg.k1', 'inbox', 'outbox']);
    expect(r.peer.device.session).not.toEqual(reachable.device.session); // the receipt advanced the ratchet
    expect(r.events).toMatchObject([
      {
        type: 'message',
        contactId: 'c1',
        message: {
          text: 'hi',
          direction: 'in',
          status: 'received',
          conversationId: 'k1',
          from: { contactId: 'c1', device: 1 },
        },
      },
    ]);
  });

  it('a text whose id is already in history (a resend) is not shown again, but its receipt goes again', () => {
    const { contact } = pair();
    const reachable: Peer = {
      contact: contact.contact,
      device: {
        ...contact.device,
        theirMailbox: { server: 'http://b.example', id: env.random(16), senderPrivateKey: env.random(32) },
      },
    };
    const text = { t: 'text', id: '000001700000000000', sentAt: 7, body: 'hi' } as const;
    const newId = idSequence({ ...env, now: () => 5 });
    const first = applyPayload(env, frozen(reachable), text, newId, new Map());
    const [stored] = first.writes;
    expect(stored?.id).toBe('000001700000000000.in'); // keyed by the sender's id: the sender's order
    const known = new Map([[stored?.id as string, decodeAs('message', stored?.value as Uint8Array)]]);
    const again = applyPayload(env, frozen(first.peer), text, newId, known);
    expect(again.writes.map((w) => w.kind)).toEqual(['outbox']);
    expect(again.events).toEqual([]);
  });
});

describe('contact requests', () => {
  const addressId = env.random(16);

  function sent(payload: (p: ReturnType<typeof pair>) => OutgoingPayload) {
    const p = pair();
    const { envelope } = seal(env, p.contact.device, payload(p));
    const initial = tryInitialMessage(envelope);
    if (initial === null) throw new Error('a request travels in an initial message');
    return { ...p, initial };
  }

  it('an authentic request for our address becomes a pending request and consumes its prekeys', () => {
    const { alice, bob, contact, keys, initial } = sent((p) =>
      requestPayload(env, p.alice, addressId, 'hello from Alice', p.contact.device.myMailbox),
    );
    const r = openRequest(env, bob, addressId, initial, keys, 42, () => 'r1');
    expect(r.record).toMatchObject({ id: 'r1', name: 'Alice', message: 'hello from Alice', receivedAt: 42 });
    expect(r.record.identity).toEqual(encodeIdentity(publicIdentity(alice.identity)));
    expect(r.record.theirMailbox).toEqual({
      server: alice.server,
      id: contact.device.myMailbox.id,
      senderPrivateKey: contact.device.myMailbox.sender.privateKey,
    });
    expect(r.writes.map((w) => w.kind).sort()).toEqual(['kempk', 'otpk']);
  });

  it('refuses a bad signature, another address and other payloads with bad-message', () => {
    const forged = sent((p) => {
      const real = requestPayload(env, p.alice, addressId, 'hi', p.contact.device.myMailbox);
      return real.t === 'request' ? { ...real, signature: env.random(64) } : real;
    });
    const elsewhere = sent((p) => requestPayload(env, p.alice, env.random(16), 'hi', p.contact.device.myMailbox));
    const notRequest = sent(() => ({ t: 'reset' }));
    for (const s of [forged, elsewhere, notRequest]) {
      expect(codeOf(() => openRequest(env, s.bob, addressId, s.initial, s.keys, 1, () => 'r'))).toBe('bad-message');
    }
  });

  it('refuses a request signed by someone other than the identity PQXDH authenticated', () => {
    const mallory = newProfile(env, 'Mallory', 'http://m.example');
    const s = sent((p) =>
      requestPayload(env, { ...p.alice, identity: mallory.identity }, addressId, '', p.contact.device.myMailbox),
    );
    expect(codeOf(() => openRequest(env, s.bob, addressId, s.initial, s.keys, 1, () => 'r'))).toBe('bad-message');
  });
});

describe('record ids', () => {
  it('increase in creation order even when the clock stands still or steps back', () => {
    const clock = { now: 1_000 };
    const e: ProtocolEnv = { ...env, now: () => clock.now };
    const newId = idSequence(e);
    const ids = [newId(), newId()];
    clock.now = 999;
    ids.push(newId());
    clock.now = 2_000;
    ids.push(newId());
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('000000000001000000');
  });

  it('keep one width and their order past 1,000 ids in one millisecond', () => {
    const newId = idSequence({ ...env, now: () => 7 });
    const ids = Array.from({ length: 2_500 }, () => newId());
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.length))).toEqual(new Set([18]));
  });
});
