/**
 * RFC 9420 §5 crypto basics (RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret,
 * SignWithLabel, EncryptWithLabel — the last one is our RFC 9180 HPKE), mls-implementations
 * crypto-basics.json, on each of our providers.
 */
import { refhash } from 'ts-mls/crypto/hash.js';
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js';
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js';
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js';
import { describe, expect, it } from 'vitest';
import { bytes, hex, providers, vectors } from '../providers.ts';

interface CryptoBasics {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: { secret: string; label: string; context: string; length: number; out: string };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: { secret: string; label: string; generation: number; length: number; out: string };
  sign_with_label: { priv: string; pub: string; content: string; label: string; signature: string };
  encrypt_with_label: {
    priv: string;
    pub: string;
    label: string;
    context: string;
    plaintext: string;
    kem_output: string;
    ciphertext: string;
  };
}

describe.each(providers)('crypto-basics vectors on %s', (_, cs) => {
  it.each(vectors<CryptoBasics>('crypto-basics').map((v) => [v.cipher_suite, v] as const))(
    'suite %i',
    async (_s, v) => {
      expect(hex(await refhash(v.ref_hash.label, bytes(v.ref_hash.value), cs.hash))).toBe(v.ref_hash.out);
      const e = v.expand_with_label;
      expect(hex(await expandWithLabel(bytes(e.secret), e.label, bytes(e.context), e.length, cs.kdf))).toBe(e.out);
      const d = v.derive_secret;
      expect(hex(await deriveSecret(bytes(d.secret), d.label, cs.kdf))).toBe(d.out);
      const t = v.derive_tree_secret;
      expect(hex(await deriveTreeSecret(bytes(t.secret), t.label, t.generation, t.length, cs.kdf))).toBe(t.out);

      const s = v.sign_with_label;
      expect(await verifyWithLabel(bytes(s.pub), s.label, bytes(s.content), bytes(s.signature), cs.signature)).toBe(
        true,
      );
      const ours = await signWithLabel(bytes(s.priv), s.label, bytes(s.content), cs.signature);
      // Ed25519 is deterministic (RFC 8032 §5.1.6): our signature is the vector's.
      expect(hex(ours)).toBe(s.signature);

      const h = v.encrypt_with_label;
      const priv = await cs.hpke.importPrivateKey(bytes(h.priv));
      const pub = await cs.hpke.importPublicKey(bytes(h.pub));
      const opened = await decryptWithLabel(
        priv,
        h.label,
        bytes(h.context),
        bytes(h.kem_output),
        bytes(h.ciphertext),
        cs.hpke,
      );
      expect(hex(opened)).toBe(h.plaintext);
      const sealed = await encryptWithLabel(pub, h.label, bytes(h.context), bytes(h.plaintext), cs.hpke);
      expect(hex(await decryptWithLabel(priv, h.label, bytes(h.context), sealed.enc, sealed.ct, cs.hpke))).toBe(
        h.plaintext,
      );
    },
  );
});
