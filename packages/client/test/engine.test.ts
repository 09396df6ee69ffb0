/**
 * The pure engine without a server: link and payload codecs on hostile input, the prekey policy
 * over a fake clock, and the session tie-break when both sides start at once.
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
import { openOnContact, seal, tryInitialMessage } from '../src/engine/conversation.ts';
import {
  decodeAddressLink,
  decodeInvitation,
  encodeAddressLink,
  encodeInvitation,
  type Invitation,
} from '../src/engine/links.ts';
import { decodePayload, encodePayload } from '../src/engine/payload.ts';
import { PREKEY_POLICY, planPreKeys } from '../src/engine/prekeys.ts';
import type { ContactRecord, ProfileRecord } from '../src/engine/records.ts';
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
      v: 1,
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

describe('both sides start a session at once', () => {
  it('each side keeps the session with the smaller base key and both converge', () => {
    const clock = { now: 1 };
    const a = profileAt(clock);
    const b = profileAt(clock);
    const bundleOf = (p: ProfileRecord, n: number) => {
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
    };
    const bundleA = bundleOf(a.profile, 1);
    const bundleB = bundleOf(b.profile, 2);
    const contactOf = (self: ProfileRecord, peer: ProfileRecord, bundle: ReturnType<typeof bundleOf>['bundle']) => {
      const session = createInitiatorSession(env, self.identity, deviceId(1), bundle, publicIdentity(peer.identity));
      const c: ContactRecord = {
        v: 1,
        id: 'c',
        name: 'peer',
        aliasSet: false,
        keySource: 'invitation',
        verification: 'unverified',
        identity: encodeIdentity(publicIdentity(peer.identity)),
        device: 1,
        replacedIdentity: null,
        state: 'connected',
        createdAt: 0,
        theirMailbox: null,
        myMailbox: {
          id: new Uint8Array(16),
          recipient: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
          sender: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
          lastSeq: 0,
        },
        session: encodeSession(session),
        previousSessions: [],
      };
      return c;
    };
    // Both start a new session with the other at the same time and send `reset`.
    const aSide = seal(env, contactOf(a.profile, b.profile, bundleB.bundle), { t: 'reset' });
    const bSide = seal(env, contactOf(b.profile, a.profile, bundleA.bundle), { t: 'reset' });
    const keysFor = (p: ProfileRecord, k: ReturnType<typeof bundleOf>) => ({
      signed: p.signedPreKey,
      oneTime: k.otk ?? null,
      kem: k.kem,
      baseKeyUsed: false,
    });
    const aGot = openOnContact(env, a.profile, aSide.contact, bSide.envelope, keysFor(a.profile, bundleA));
    const bGot = openOnContact(env, b.profile, bSide.contact, aSide.envelope, keysFor(b.profile, bundleB));
    expect(aGot.kind).toBe('new-session');
    expect(bGot.kind).toBe('new-session');
    if (aGot.kind !== 'new-session' || bGot.kind !== 'new-session') return;
    expect(aGot.identityChanged).toBe(false);
    const aCurrent = decodeSession(aGot.contact.session).baseKey;
    const bCurrent = decodeSession(bGot.contact.session).baseKey;
    expect(aCurrent).toEqual(bCurrent); // the same session on both sides
    // And it works both ways.
    const m1 = seal(env, aGot.contact, { t: 'text', id: '1', sentAt: 1, body: 'x' });
    const r1 = openOnContact(env, b.profile, bGot.contact, m1.envelope, null);
    expect(r1.kind === 'message' && r1.payload).toEqual({ t: 'text', id: '1', sentAt: 1, body: 'x' });
    expect(tryInitialMessage(new Uint8Array([1]))).toBeNull();
  });
});
