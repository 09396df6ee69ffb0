/**
 * HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM —
 * the HPKE of MLS ciphersuite 1 (RFC 9420 §5.1, §17.1) — composed from the primitives of
 * primitives.ts exactly as the RFC writes it, as ts-mls's `Hpke` interface. Only single-shot
 * use is needed: MLS seals one message per HPKE context (RFC 9420 §5.1.3 EncryptWithLabel) and
 * exports once (§12.4.3.2, external init).
 *
 * Identifiers (RFC 9180 §7): kem_id 0x0020, kdf_id 0x0001, aead_id 0x0001;
 * Nsecret = Nenc = Npk = Nsk = 32, Nk = 16, Nn = 12, Nh = 32.
 */
import { concatBytes } from '@parley/protocol';
import type { Hpke, PrivateKey, PublicKey } from 'ts-mls';
import { GroupError } from '../errors.ts';
import { hkdfExtractSha256, type MlsPrimitives } from './primitives.ts';

const N_SECRET = 32;
const N_SK = 32;
const N_K = 16;
const N_N = 12;
const N_H = 32;
const MODE_BASE = 0x00;

const enc = new TextEncoder();
const HPKE_V1 = enc.encode('HPKE-v1');
// §4.1: suite_id = concat("KEM", I2OSP(kem_id, 2)); §5.1: concat("HPKE", kem_id, kdf_id, aead_id).
const KEM_SUITE_ID = Uint8Array.of(0x4b, 0x45, 0x4d, 0x00, 0x20);
const HPKE_SUITE_ID = Uint8Array.of(0x48, 0x50, 0x4b, 0x45, 0x00, 0x20, 0x00, 0x01, 0x00, 0x01);
const EMPTY = new Uint8Array(0);

/**
 * ts-mls types HPKE keys as WebCrypto `CryptoKey`s but only ever hands them back to the `Hpke`
 * that made them; ours are the raw 32 bytes in a small tagged object.
 */
interface RawKey {
  readonly type: 'public' | 'private';
  readonly raw: Uint8Array;
}

function asPublic(raw: Uint8Array): PublicKey {
  return { type: 'public', raw } satisfies RawKey as unknown as PublicKey;
}
function asPrivate(raw: Uint8Array): PrivateKey {
  return { type: 'private', raw } satisfies RawKey as unknown as PrivateKey;
}
function rawOf(key: PublicKey | PrivateKey, type: RawKey['type']): Uint8Array {
  const k = key as unknown as Partial<RawKey>;
  if (k.type !== type || !(k.raw instanceof Uint8Array)) throw new GroupError('usage', 'not a key of this provider');
  return k.raw;
}

function i2osp2(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

export function makeHpke(p: MlsPrimitives): Hpke {
  // §4: LabeledExtract(salt, label, ikm) = Extract(salt, concat("HPKE-v1", suite_id, label, ikm))
  const labeledExtract = (suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array) =>
    hkdfExtractSha256(p, salt, concatBytes(HPKE_V1, suiteId, enc.encode(label), ikm));
  // §4: LabeledExpand(prk, label, info, L) = Expand(prk, concat(I2OSP(L, 2), "HPKE-v1", suite_id, label, info), L)
  const labeledExpand = (suiteId: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, length: number) =>
    p.hkdfExpandSha256(prk, concatBytes(i2osp2(length), HPKE_V1, suiteId, enc.encode(label), info), length);

  // §4.1 DHKEM ExtractAndExpand(dh, kem_context).
  function extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
    const eaePrk = labeledExtract(KEM_SUITE_ID, EMPTY, 'eae_prk', dh);
    return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, N_SECRET);
  }

  function dh(sk: Uint8Array, pk: Uint8Array): Uint8Array {
    try {
      return p.x25519(sk, pk);
    } catch (cause) {
      // §7.1.4: an all-zero DH output (or an undecodable key) aborts with ValidationError.
      throw new GroupError('invalid', 'invalid HPKE public key', { cause });
    }
  }

  // §4.1 Encap(pkR): skE, pkE = GenerateKeyPair(); dh = DH(skE, pkR); enc = pkE; kem_context = enc ‖ pkR.
  function encap(pkR: Uint8Array): { sharedSecret: Uint8Array; enc: Uint8Array } {
    const skE = p.randomBytes(N_SK);
    const pkE = p.x25519PublicKey(skE);
    const sharedSecret = extractAndExpand(dh(skE, pkR), concatBytes(pkE, pkR));
    skE.fill(0);
    return { sharedSecret, enc: pkE };
  }

  // §4.1 Decap(enc, skR): dh = DH(skR, pkE); kem_context = enc ‖ pk(skR).
  function decap(encapsulated: Uint8Array, skR: Uint8Array): Uint8Array {
    if (encapsulated.length !== 32) throw new GroupError('invalid', 'invalid HPKE encapsulation');
    return extractAndExpand(dh(skR, encapsulated), concatBytes(encapsulated, p.x25519PublicKey(skR)));
  }

  // §5.1 KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "").
  function keySchedule(sharedSecret: Uint8Array, info: Uint8Array) {
    const pskIdHash = labeledExtract(HPKE_SUITE_ID, EMPTY, 'psk_id_hash', EMPTY);
    const infoHash = labeledExtract(HPKE_SUITE_ID, EMPTY, 'info_hash', info);
    const context = concatBytes(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
    const secret = labeledExtract(HPKE_SUITE_ID, sharedSecret, 'secret', EMPTY);
    return {
      key: labeledExpand(HPKE_SUITE_ID, secret, 'key', context, N_K),
      // Sequence number 0: nonce = base_nonce XOR I2OSP(0, Nn) = base_nonce (§5.2).
      baseNonce: labeledExpand(HPKE_SUITE_ID, secret, 'base_nonce', context, N_N),
      exporterSecret: labeledExpand(HPKE_SUITE_ID, secret, 'exp', context, N_H),
    };
  }

  // §5.3 Context.Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", exporter_context, L).
  const exportFrom = (exporterSecret: Uint8Array, exporterContext: Uint8Array, length: number) =>
    labeledExpand(HPKE_SUITE_ID, exporterSecret, 'sec', exporterContext, length);

  function deriveKeyPair(ikm: Uint8Array): { privateKey: PrivateKey; publicKey: PublicKey } {
    // §7.1.3 DeriveKeyPair for X25519: sk = LabeledExpand(dkp_prk, "sk", "", Nsk), no rejection.
    const dkpPrk = labeledExtract(KEM_SUITE_ID, EMPTY, 'dkp_prk', ikm);
    const sk = labeledExpand(KEM_SUITE_ID, dkpPrk, 'sk', EMPTY, N_SK);
    return { privateKey: asPrivate(sk), publicKey: asPublic(p.x25519PublicKey(sk)) };
  }

  function aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
    const pt = key.length === N_K && nonce.length === N_N ? p.aes128GcmOpen(key, nonce, aad, ct) : null;
    if (pt === null) throw new GroupError('verify', 'AEAD open failed');
    return pt;
  }

  return {
    // §6.1 single-shot Seal/Open in base mode.
    async seal(publicKey, plaintext, info, aad) {
      const { sharedSecret, enc: encapsulated } = encap(rawOf(publicKey, 'public'));
      const { key, baseNonce } = keySchedule(sharedSecret, info);
      return { ct: p.aes128GcmSeal(key, baseNonce, aad ?? EMPTY, plaintext), enc: encapsulated };
    },
    async open(privateKey, kemOutput, ciphertext, info, aad) {
      const { key, baseNonce } = keySchedule(decap(kemOutput, rawOf(privateKey, 'private')), info);
      return aeadOpen(key, baseNonce, aad ?? EMPTY, ciphertext);
    },
    // §6.2 single-shot SendExport/ReceiveExport.
    async exportSecret(publicKey, exporterContext, length, info) {
      const { sharedSecret, enc: encapsulated } = encap(rawOf(publicKey, 'public'));
      const { exporterSecret } = keySchedule(sharedSecret, info);
      return { enc: encapsulated, secret: exportFrom(exporterSecret, exporterContext, length) };
    },
    async importSecret(privateKey, exporterContext, kemOutput, length, info) {
      const { exporterSecret } = keySchedule(decap(kemOutput, rawOf(privateKey, 'private')), info);
      return exportFrom(exporterSecret, exporterContext, length);
    },
    async importPrivateKey(k) {
      if (k.length !== N_SK) throw new GroupError('invalid', 'invalid HPKE private key');
      return asPrivate(k);
    },
    async importPublicKey(k) {
      if (k.length !== 32) throw new GroupError('invalid', 'invalid HPKE public key');
      return asPublic(k);
    },
    async exportPublicKey(k) {
      return rawOf(k, 'public');
    },
    async exportPrivateKey(k) {
      return rawOf(k, 'private');
    },
    async encryptAead(key, nonce, aad, plaintext) {
      return p.aes128GcmSeal(key, nonce, aad ?? EMPTY, plaintext);
    },
    async decryptAead(key, nonce, aad, ciphertext) {
      return aeadOpen(key, nonce, aad ?? EMPTY, ciphertext);
    },
    async deriveKeyPair(ikm) {
      return deriveKeyPair(ikm);
    },
    async generateKeyPair() {
      const sk = p.randomBytes(N_SK);
      return { privateKey: asPrivate(sk), publicKey: asPublic(p.x25519PublicKey(sk)) };
    },
    keyLength: N_K,
    nonceLength: N_N,
  };
}
