import { describe, expect, it } from 'vitest';
import {
  generateEd25519,
  LINK_REPLY_BYTES,
  LINK_REQUEST_BYTES,
  type LinkKeys,
  linkCommit,
  linkFinish,
  linkReply,
  linkRequest,
  toHex,
  utf8,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

const payload = utf8('parley link payload (opaque to the handshake)');

function sameKeys(a: LinkKeys, b: LinkKeys): boolean {
  return toHex(a.toNew) === toHex(b.toNew) && toHex(a.toExisting) === toHex(b.toExisting) && a.sas === b.sas;
}

describe.each(backends.map((b) => [b.name, b] as const))('link handshake (%s backend)', (_name, crypto) => {
  const envE = testEnv('link/E', crypto);
  const envN = testEnv('link/N', crypto);
  const envM = testEnv('link/mallory', crypto);
  const deviceKeyN = generateEd25519(envN).publicKey;

  it('both sides derive the same keys and the same 6 digits', () => {
    const { secret: cs, commitment } = linkCommit(envE);
    const { secret: rs, request } = linkRequest(envN, deviceKeyN);
    expect(request.length).toBe(LINK_REQUEST_BYTES);
    const { reply, keys: atE, request: seen } = linkReply(envE, cs, payload, request);
    expect(reply.length).toBe(LINK_REPLY_BYTES);
    expect(toHex(seen.deviceKey)).toBe(toHex(deviceKeyN));
    const atN = linkFinish(envN, rs, payload, commitment, reply);
    expect(sameKeys(atE, atN)).toBe(true);
    expect(atE.sas).toMatch(/^\d{6}$/);
    expect(toHex(atE.toNew)).not.toBe(toHex(atE.toExisting));
  });

  it('a reply that does not open the commitment is refused (bad-commitment)', () => {
    const { commitment } = linkCommit(envE);
    const other = linkCommit(envE); // a second E (or the server) answering with another e_E
    const { secret: rs, request } = linkRequest(envN, deviceKeyN);
    const { reply } = linkReply(envE, other.secret, payload, request);
    expect(codeOf(() => linkFinish(envN, rs, payload, commitment, reply))).toBe('bad-commitment');
    // Any flipped bit in e_E or r too.
    const { secret: cs, commitment: c2 } = linkCommit(envE);
    const good = linkReply(envE, cs, payload, request).reply;
    for (const at of [2, 33, 34, 65]) {
      const flipped = good.slice();
      flipped[at] = (flipped[at] as number) ^ 0x04;
      expect(codeOf(() => linkFinish(envN, rs, payload, c2, flipped))).toMatch(/^(bad-commitment|decode)$/);
    }
  });

  it('a server in the middle that substitutes the request gets a different SAS on each side', () => {
    const { secret: cs, commitment } = linkCommit(envE);
    const { secret: rsN, request: reqN } = linkRequest(envN, deviceKeyN);
    // Mallory poses as N to E with her own request, and must answer N as E; she cannot open E's
    // commitment with a key of hers, so she relays E's reply.
    const { secret: rsM, request: reqM } = linkRequest(envM, generateEd25519(envM).publicKey);
    const { reply, keys: atE } = linkReply(envE, cs, payload, reqM);
    const atM = linkFinish(envM, rsM, payload, commitment, reply);
    expect(sameKeys(atE, atM)).toBe(true); // she did talk to E …
    const atN = linkFinish(envN, rsN, payload, commitment, reply);
    expect(atN.sas).not.toBe(atE.sas); // … but N's screen shows other digits than E's
    expect(toHex(atN.toNew)).not.toBe(toHex(atE.toNew));
    // Answering N's own request with a key of hers does not open E's commitment.
    const mine = linkCommit(envM);
    const forged = linkReply(envM, mine.secret, payload, reqN).reply;
    expect(codeOf(() => linkFinish(envN, rsN, payload, commitment, forged))).toBe('bad-commitment');
    // Replacing the whole link (her commitment, for N) leaves her two runs with different digits.
    const linkM = utf8('a link that Mallory made');
    const n2 = linkRequest(envN, deviceKeyN);
    const toN = linkReply(envM, mine.secret, linkM, n2.request);
    const atN2 = linkFinish(envN, n2.secret, linkM, mine.commitment, toN.reply);
    expect(sameKeys(atN2, toN.keys)).toBe(true);
    expect(atN2.sas).not.toBe(atE.sas);
  });

  it('a substituted KEM ciphertext gives N other keys but the same SAS (so it cannot be ground)', () => {
    const { secret: cs, commitment } = linkCommit(envE);
    const { secret: rs, request } = linkRequest(envN, deviceKeyN);
    const { reply, keys: atE } = linkReply(envE, cs, payload, request);
    const again = linkReply(envE, cs, payload, request).reply; // another encapsulation, same e_E and r
    expect(toHex(again.subarray(66))).not.toBe(toHex(reply.subarray(66)));
    const atN = linkFinish(envN, rs, payload, commitment, again);
    expect(atN.sas).toBe(atE.sas);
    expect(toHex(atN.toNew)).not.toBe(toHex(atE.toNew)); // the first frame E sends will not open
  });

  it('a changed link payload gives a different SAS', () => {
    const { secret: cs, commitment } = linkCommit(envE);
    const { secret: rs, request } = linkRequest(envN, deviceKeyN);
    const { reply, keys: atE } = linkReply(envE, cs, payload, request);
    const atN = linkFinish(envN, rs, utf8('parley link payload (opaque to the handshake!'), commitment, reply);
    expect(atN.sas).not.toBe(atE.sas);
    expect(toHex(atN.toExisting)).not.toBe(toHex(atE.toExisting));
  });

  it('refuses malformed requests and replies with typed errors', () => {
    const { secret: cs, commitment } = linkCommit(envE);
    const { secret: rs, request } = linkRequest(envN, deviceKeyN);
    const { reply } = linkReply(envE, cs, payload, request);
    expect(codeOf(() => linkReply(envE, cs, payload, request.subarray(0, request.length - 1)))).toBe('decode');
    expect(codeOf(() => linkReply(envE, cs, payload, Uint8Array.of(...request, 0)))).toBe('decode');
    expect(codeOf(() => linkReply(envE, cs, payload, reply))).toBe('decode'); // a reply is not a request
    const lowOrder = request.slice();
    lowOrder.fill(0, 2, 34); // e_N = 0: X25519 gives all zeros
    expect(codeOf(() => linkReply(envE, cs, payload, lowOrder))).toBe('decode');
    const badKem = request.slice();
    badKem.fill(0xff, 34, 34 + 384); // coefficients ≥ q: FIPS 203 §7.2 modulus check
    expect(codeOf(() => linkReply(envE, cs, payload, badKem))).toBe('decode');
    expect(codeOf(() => linkFinish(envN, rs, payload, commitment, reply.subarray(0, reply.length - 1)))).toBe('decode');
    expect(codeOf(() => linkFinish(envN, rs, payload, commitment, request))).toBe('decode');
    const future = request.slice();
    future[0] = 2;
    expect(codeOf(() => linkReply(envE, cs, payload, future))).toBe('unsupported-version');
  });
});

it('the node and noble backends derive the same keys from the same randomness', () => {
  const [node, noble] = backends;
  const run = (crypto: NonNullable<typeof node>) => {
    const envE = testEnv('link/cross/E', crypto);
    const envN = testEnv('link/cross/N', crypto);
    const { secret: cs, commitment } = linkCommit(envE);
    const { secret: rs, request } = linkRequest(envN, generateEd25519(envN).publicKey);
    const { reply, keys } = linkReply(envE, cs, payload, request);
    expect(sameKeys(keys, linkFinish(envN, rs, payload, commitment, reply))).toBe(true);
    return [toHex(commitment), toHex(request), toHex(reply), toHex(keys.toNew), toHex(keys.toExisting), keys.sas];
  };
  if (node === undefined || noble === undefined) throw new Error('two backends expected');
  expect(run(node)).toEqual(run(noble));
});
