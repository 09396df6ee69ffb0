/**
 * RFC 9420 §12.4.3.1 Welcome: find our secrets by KeyPackageRef, open them with the init key
 * (our HPKE), decrypt the GroupInfo, check its confirmation tag and signature;
 * mls-implementations welcome.json.
 */
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { decodeMlsMessage } from 'ts-mls/message.js';
import { decryptGroupInfo, decryptGroupSecrets } from 'ts-mls/welcome.js';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../src/crypto/primitives.ts';
import { bytes, providers, vectors } from '../providers.ts';

interface WelcomeVector {
  cipher_suite: number;
  init_priv: string;
  signer_pub: string;
  key_package: string;
  welcome: string;
}

describe.each(providers)('welcome vectors on %s', (_, cs) => {
  it.each(vectors<WelcomeVector>('welcome').map((v) => [v.cipher_suite, v] as const))('suite %i', async (_s, v) => {
    const w = decodeMlsMessage(bytes(v.welcome), 0)?.[0];
    const kp = decodeMlsMessage(bytes(v.key_package), 0)?.[0];
    if (w?.wireformat !== 'mls_welcome' || kp?.wireformat !== 'mls_key_package') throw new Error('did not decode');
    const ref = await makeKeyPackageRef(kp.keyPackage, cs.hash);
    expect(w.welcome.secrets.some((s) => constantTimeEqual(s.newMember, ref))).toBe(true);
    const initKey = await cs.hpke.importPrivateKey(bytes(v.init_priv));
    const secrets = await decryptGroupSecrets(initKey, ref, w.welcome, cs.hpke);
    if (secrets === undefined) throw new Error('group secrets did not open');
    const psk = new Uint8Array(cs.kdf.size);
    const gi = await decryptGroupInfo(w.welcome, secrets.joinerSecret, psk, cs);
    if (gi === undefined) throw new Error('group info did not open');
    expect(await verifyGroupInfoConfirmationTag(gi, secrets.joinerSecret, psk, cs)).toBe(true);
    expect(await verifyGroupInfoSignature(gi, bytes(v.signer_pub), cs.signature)).toBe(true);
  });
});
