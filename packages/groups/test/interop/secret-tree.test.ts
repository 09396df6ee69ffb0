/** RFC 9420 §9 secret tree and §6.3.2 sender data keys, mls-implementations secret-tree.json. */
import { defaultKeyRetentionConfig } from 'ts-mls';
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from 'ts-mls/secretTree.js';
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js';
import { leafToNodeIndex, toLeafIndex } from 'ts-mls/treemath.js';
import { describe, expect, it } from 'vitest';
import { bytes, hex, providers, vectors } from '../providers.ts';

interface Generation {
  generation: number;
  handshake_key: string;
  handshake_nonce: string;
  application_key: string;
  application_nonce: string;
}
interface SecretTree {
  cipher_suite: number;
  sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string };
  encryption_secret: string;
  leaves: Generation[][];
}

describe.each(providers)('secret-tree vectors on %s', (_, cs) => {
  it.each(vectors<SecretTree>('secret-tree').map((v, i) => [i, v] as const))('vector %i', async (_i, v) => {
    const sd = v.sender_data;
    expect(hex(await expandSenderDataKey(cs, bytes(sd.sender_data_secret), bytes(sd.ciphertext)))).toBe(sd.key);
    expect(hex(await expandSenderDataNonce(cs, bytes(sd.sender_data_secret), bytes(sd.ciphertext)))).toBe(sd.nonce);
    const tree = await createSecretTree(v.leaves.length, bytes(v.encryption_secret), cs.kdf);
    for (const [leaf, generations] of v.leaves.entries()) {
      const node = tree[leafToNodeIndex(toLeafIndex(leaf))];
      if (node === undefined) throw new Error('missing secret tree node');
      for (const g of generations) {
        const [hs] = await ratchetUntil(node.handshake, g.generation, defaultKeyRetentionConfig, cs.kdf);
        expect(hex(await deriveKey(hs.secret, hs.generation, cs))).toBe(g.handshake_key);
        expect(hex(await deriveNonce(hs.secret, hs.generation, cs))).toBe(g.handshake_nonce);
        const [app] = await ratchetUntil(node.application, g.generation, defaultKeyRetentionConfig, cs.kdf);
        expect(hex(await deriveKey(app.secret, app.generation, cs))).toBe(g.application_key);
        expect(hex(await deriveNonce(app.secret, app.generation, cs))).toBe(g.application_nonce);
      }
    }
  });
});
