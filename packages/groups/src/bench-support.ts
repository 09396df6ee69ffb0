/**
 * For `npm run bench:groups` only (exported as `@parley/groups/bench-support`, never used by the
 * product): ts-mls's own crypto provider, and a shortcut to build a group in which every member
 * has committed once without running a thousand clients.
 */
import { type CiphersuiteImpl, defaultCryptoProvider, getCiphersuiteImpl } from 'ts-mls';
import { decodeKeyPackageSecret } from './codec.ts';
import { ciphersuite } from './crypto/ciphersuite.ts';
import { type GroupState, unwrap, wrap } from './engine.ts';

/** ts-mls's default (WebCrypto) provider, as a user of the library gets it out of the box. */
export function defaultProviderCipherSuite(): Promise<CiphersuiteImpl> {
  return getCiphersuiteImpl(ciphersuite, defaultCryptoProvider);
}

/**
 * Member `leaf`'s view of the group for making its commit, built from another member's current
 * state and the member's own key package secret (its leaf HPKE and signature keys): the epoch
 * secrets and the public tree are the same for every member, and a commit with a full
 * UpdatePath (§12.4.1) needs no other private key of the committer. The commit it makes is the
 * one the member would make; the view is only good for that one commit.
 */
export function memberView(state: GroupState, leaf: number, keyPackageSecret: Uint8Array): GroupState {
  const s = unwrap(state);
  const { privatePackage } = decodeKeyPackageSecret(keyPackageSecret);
  return wrap({
    ...s,
    privatePath: { leafIndex: leaf, privateKeys: { [2 * leaf]: privatePackage.hpkePrivateKey } },
    signaturePrivateKey: privatePackage.signaturePrivateKey,
  });
}
