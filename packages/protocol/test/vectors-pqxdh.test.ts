import { describe, expect, it } from 'vitest';
import {
  acceptInitialMessage,
  createInitiatorSession,
  decodeBundle,
  decodeInitialMessage,
  decodeSession,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeSession,
  encryptMessage,
  equalBytes,
  fromHex,
  ProtocolError,
  toHex,
  utf8,
  verifyBundle,
} from '../src/index.ts';
import { backends } from './kit.ts';
import { asRecorded, identityFrom, loadVector, publicIdentityFrom, replayEnv } from './vectors/common.ts';
import {
  buildLastResortVector,
  buildNoOpkVector,
  buildPinningVector,
  keysFrom,
  type LastResortVector,
  type NoOpkVector,
  type PinningVector,
} from './vectors/pqxdh-variants.ts';

const noOpk = loadVector<NoOpkVector>('pqxdh-no-opk.json');
const lastResort = loadVector<LastResortVector>('last-resort.json');
const pinning = loadVector<PinningVector>('identity-pinning.json');

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (ProtocolError.is(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe.each(backends.map((b) => [b.name, b] as const))('PQXDH variant vectors (%s backend)', (_name, crypto) => {
  describe('pqxdh-no-opk.json', () => {
    it('regenerates byte for byte from the seeds', () => {
      expect(buildNoOpkVector(crypto)).toEqual(noOpk);
    });

    it.each(noOpk.runs.map((r) => [r.version, r] as const))(
      'version %i: the bundle, the initial message and Bob’s acceptance from the recorded keys and draws',
      (version, run) => {
        const bytes = fromHex(run.bundle);
        expect(bytes.length).toBe(1504);
        expect(bytes[0]).toBe(version);
        expect(bytes[242]).toBe(0); // hasOpk
        const bundle = decodeBundle(bytes);
        expect(bundle.oneTimePreKey).toBeNull();
        verifyBundle(replayEnv(crypto, []).env, bundle);
        expect(toHex(encodeBundle(bundle))).toBe(run.bundle);
        expect(toHex(crypto.mlKemKeygen(fromHex(run.bob.kemPreKey.keygenSeed)).publicKey)).toBe(
          run.bob.kemPreKey.publicKey,
        );

        const r = run.alice.random;
        const alice = replayEnv(crypto, [...r.createSession, ...r.encrypt]);
        const session = createInitiatorSession(
          alice.env,
          identityFrom(run.alice.identity),
          deviceId(run.alice.deviceId),
          bundle,
        );
        const sent = encryptMessage(alice.env, session, utf8(run.plaintext));
        expect(alice.remaining()).toBe(0);
        expect(toHex(sent.message)).toBe(run.initialMessage);
        expect(toHex(encodeSession(sent.session))).toBe(run.aliceState);
        const message = decodeInitialMessage(sent.message);
        expect(message.header.oneTimePreKeyId).toBeNull();
        expect(sent.message[170]).toBe(0); // hasOpk; the ratchet message starts at 1263
        expect(sent.message[1263]).toBe(version);

        const bob = replayEnv(crypto, run.bobRandom);
        const accepted = asRecorded(
          acceptInitialMessage(
            bob.env,
            identityFrom(run.bob.identity),
            deviceId(run.bob.deviceId),
            decodeInitialMessage(fromHex(run.initialMessage)),
            keysFrom(crypto, run.bob),
          ),
        );
        expect(bob.remaining()).toBe(0);
        expect(text(accepted.plaintext)).toBe(run.plaintext);
        expect(toHex(accepted.session.associatedData)).toBe(run.associatedData);
        expect(toHex(encodeSession(accepted.session))).toBe(run.bobState);
        expect(accepted.consumed).toEqual({ ...run.consumed, lastResortBaseKey: null });
      },
    );
  });

  describe('last-resort.json', () => {
    const v = lastResort;

    it('regenerates byte for byte from the seeds', () => {
      expect(buildLastResortVector(crypto)).toEqual(v);
    });

    it('accepts once, records (PQPK id, base key), refuses the replays and accepts a new base key', () => {
      const bob = identityFrom(v.bob.identity);
      const keys = keysFrom(crypto, v.bob);
      expect(keys.kemPreKey.lastResort).toBe(true);
      expect(decodeBundle(fromHex(v.bundle)).kemPreKey.lastResort).toBe(true);
      const records: { kemPreKeyId: number; baseKey: Uint8Array }[] = [];
      const isBaseKeyUsed = (id: number, key: Uint8Array) =>
        records.some((r) => r.kemPreKeyId === id && equalBytes(r.baseKey, key));
      const accept = (draws: string[], hex: string) => {
        const env = replayEnv(crypto, draws);
        const r = asRecorded(
          acceptInitialMessage(env.env, bob, deviceId(v.bob.deviceId), decodeInitialMessage(fromHex(hex)), keys, {
            isBaseKeyUsed,
          }),
        );
        expect(env.remaining()).toBe(0);
        return r;
      };

      const first = accept(v.first.bobRandom, v.first.messages[0]?.message ?? '');
      expect(toHex(encodeSession(first.session))).toBe(v.first.bobState);
      expect(first.consumed.oneTimePreKeyId).toBeNull();
      expect(first.consumed.kemPreKeyId).toBeNull();
      const record = first.consumed.lastResortBaseKey;
      expect(record && { kemPreKeyId: record.kemPreKeyId, baseKey: toHex(record.baseKey) }).toEqual(
        v.first.consumed.lastResortRecord,
      );
      if (record) records.push(record);

      for (const replay of v.replays) {
        expect(codeOf(() => accept([], replay.message))).toBe(replay.error);
        expect(replay.error).toBe('replayed-initial-message');
      }

      const routed = replayEnv(crypto, v.routed.random);
      const got = decryptMessage(routed.env, decodeSession(fromHex(v.first.bobState)), fromHex(v.routed.message));
      expect(text(got.plaintext)).toBe(v.routed.plaintext);
      expect(toHex(encodeSession(got.session))).toBe(v.routed.bobState);

      const second = accept(v.second.bobRandom, v.second.message);
      expect(text(second.plaintext)).toBe(v.second.plaintext);
      expect(toHex(encodeSession(second.session))).toBe(v.second.bobState);
      expect(toHex(second.consumed.lastResortBaseKey?.baseKey ?? new Uint8Array())).toBe(
        v.second.lastResortRecord.baseKey,
      );
      expect(v.second.lastResortRecord.baseKey).not.toBe(v.first.consumed.lastResortRecord.baseKey);
    });
  });

  describe('identity-pinning.json', () => {
    const v = pinning;

    it('regenerates byte for byte from the seeds', () => {
      expect(buildPinningVector(crypto)).toEqual(v);
    });

    it('gives every case its recorded error code or result', () => {
      const alice = identityFrom(v.alice.identity);
      const bob = identityFrom(v.bob.identity);
      let aliceDraws = [...v.alice.random];
      for (const c of v.cases) {
        const pinned = c.pinned === null ? undefined : publicIdentityFrom(c.pinned);
        if (c.side === 'initiator') {
          const env = replayEnv(crypto, c.error === null ? aliceDraws : []);
          const run = () =>
            encryptMessage(
              env.env,
              createInitiatorSession(
                env.env,
                alice,
                deviceId(v.alice.deviceId),
                decodeBundle(fromHex(c.input)),
                pinned,
              ),
              utf8('hello bob'),
            );
          if (c.error === null) {
            expect(toHex(run().message), c.name).toBe(c.result);
            aliceDraws = [];
          } else {
            expect(codeOf(run), c.name).toBe(c.error);
          }
          expect(env.remaining(), c.name).toBe(0);
        } else {
          const env = replayEnv(crypto, c.error === null ? v.bobRandom : []);
          const run = () =>
            asRecorded(
              acceptInitialMessage(
                env.env,
                bob,
                deviceId(v.bob.deviceId),
                decodeInitialMessage(fromHex(c.input)),
                keysFrom(crypto, v.bob),
                pinned ? { knownIdentity: pinned } : {},
              ),
            );
          if (c.error === null) expect(toHex(encodeSession(run().session)), c.name).toBe(c.result);
          else expect(codeOf(run), c.name).toBe(c.error);
          expect(env.remaining(), c.name).toBe(0);
        }
      }
      expect(v.cases.map((c) => c.error)).toEqual([
        'identity-mismatch',
        'identity-mismatch',
        'bad-signature',
        null,
        'identity-mismatch',
        null,
      ]);
    });
  });
});
