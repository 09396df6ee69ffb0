/**
 * RFC 9420 §8 key schedule (epoch secrets, external key pair from external_secret, MLS-Exporter),
 * mls-implementations key-schedule.json, on each of our providers.
 */
import { getCiphersuiteNameFromId } from 'ts-mls/crypto/ciphersuite.js';
import { encodeGroupContext, type GroupContext } from 'ts-mls/groupContext.js';
import { initializeEpoch, mlsExporter } from 'ts-mls/keySchedule.js';
import { describe, expect, it } from 'vitest';
import { bytes, hex, providers, vectors } from '../providers.ts';

interface Epoch {
  tree_hash: string;
  commit_secret: string;
  psk_secret: string;
  confirmed_transcript_hash: string;
  group_context: string;
  joiner_secret: string;
  welcome_secret: string;
  init_secret: string;
  sender_data_secret: string;
  encryption_secret: string;
  exporter_secret: string;
  epoch_authenticator: string;
  external_secret: string;
  confirmation_key: string;
  membership_key: string;
  resumption_psk: string;
  external_pub: string;
  exporter: { label: string; context: string; length: number; secret: string };
}
interface KeySchedule {
  cipher_suite: number;
  group_id: string;
  initial_init_secret: string;
  epochs: Epoch[];
}

describe.each(providers)('key-schedule vectors on %s', (_, cs) => {
  it.each(vectors<KeySchedule>('key-schedule').map((v) => [v.cipher_suite, v] as const))('suite %i', async (_s, v) => {
    let initSecret: Uint8Array = bytes(v.initial_init_secret);
    for (const [i, e] of v.epochs.entries()) {
      const gc: GroupContext = {
        version: 'mls10',
        cipherSuite: getCiphersuiteNameFromId(1),
        groupId: bytes(v.group_id),
        epoch: BigInt(i),
        treeHash: bytes(e.tree_hash),
        confirmedTranscriptHash: bytes(e.confirmed_transcript_hash),
        extensions: [],
      };
      expect(hex(encodeGroupContext(gc))).toBe(e.group_context);
      const r = await initializeEpoch(initSecret, bytes(e.commit_secret), gc, bytes(e.psk_secret), cs.kdf);
      const k = r.keySchedule;
      expect(hex(r.joinerSecret)).toBe(e.joiner_secret);
      expect(hex(r.welcomeSecret)).toBe(e.welcome_secret);
      expect(hex(r.encryptionSecret)).toBe(e.encryption_secret);
      expect(hex(k.initSecret)).toBe(e.init_secret);
      expect(hex(k.senderDataSecret)).toBe(e.sender_data_secret);
      expect(hex(k.exporterSecret)).toBe(e.exporter_secret);
      expect(hex(k.externalSecret)).toBe(e.external_secret);
      expect(hex(k.confirmationKey)).toBe(e.confirmation_key);
      expect(hex(k.membershipKey)).toBe(e.membership_key);
      expect(hex(k.resumptionPsk)).toBe(e.resumption_psk);
      expect(hex(k.epochAuthenticator)).toBe(e.epoch_authenticator);
      // external_pub = KEM.DeriveKeyPair(external_secret).public (RFC 9180 §7.1.3, our HPKE).
      const { publicKey } = await cs.hpke.deriveKeyPair(bytes(e.external_secret));
      expect(hex(await cs.hpke.exportPublicKey(publicKey))).toBe(e.external_pub);
      const x = e.exporter;
      expect(hex(await mlsExporter(k.exporterSecret, x.label, bytes(x.context), x.length, cs))).toBe(x.secret);
      initSecret = k.initSecret;
    }
  });
});
