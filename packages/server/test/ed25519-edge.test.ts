/**
 * The server's signature path gives the same verdict as both protocol backends on every Ed25519
 * edge case (docs/protocol.md §1.1, §1.4 note 2): the forged cases of the protocol's
 * ed25519-edge.json sign a delivery, so they go through the verifier as deliveries — on its
 * worker thread as the server runs it, and inline with each backend. A signature with a torsion
 * component in R or A, which the noble backend (browser clients) used to accept and OpenSSL
 * refuses, or the other way round, is refused by all of them.
 */
import { readFileSync } from 'node:fs';
import { envFor, fromHex } from '@parley/protocol';
import { nobleBackend } from '@parley/protocol/crypto/noble';
import { nodeBackend } from '@parley/protocol/crypto/node';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineVerifier, type SignatureVerifier, ThreadVerifier } from '../src/verifier/delivery-verifier.ts';

interface EdgeCase {
  readonly name: string;
  readonly publicKey: string;
  readonly message: string;
  readonly signature: string;
  readonly valid: boolean;
}

const vector = JSON.parse(
  readFileSync(new URL('../../protocol/test/vectors/ed25519-edge.json', import.meta.url), 'utf8'),
) as { readonly forged: readonly EdgeCase[] };

const LABEL = 'Parley deliver v1'.length;

/** Splits the signed bytes of a delivery (§3.6: label ‖ mailbox id (16) ‖ envelope). */
function asDelivery(c: EdgeCase) {
  const message = fromHex(c.message);
  expect(new TextDecoder().decode(message.subarray(0, LABEL))).toBe('Parley deliver v1');
  return {
    key: fromHex(c.publicKey),
    mailbox: message.slice(LABEL, LABEL + 16),
    envelope: message.slice(LABEL + 16),
    signature: fromHex(c.signature),
  };
}

describe.each([
  ['on the worker thread', () => new ThreadVerifier()],
  ['inline, node backend', () => inlineVerifier(envFor(nodeBackend))],
  ['inline, noble backend', () => inlineVerifier(envFor(nobleBackend))],
])('the delivery verifier %s', (_where, make: () => SignatureVerifier) => {
  const verifier = make();
  afterAll(() => verifier.close());

  it('has cases that are deliveries, the honest one valid and the others not', () => {
    expect(vector.forged.filter((c) => c.valid).length).toBe(1);
    expect(vector.forged.length).toBeGreaterThan(8);
  });

  it.each(vector.forged.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const d = asDelivery(c);
    expect(await verifier.check('delivery', d.key, d.mailbox, d.envelope, d.signature)).toBe(c.valid);
  });
});
