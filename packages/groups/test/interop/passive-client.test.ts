/**
 * RFC 9420 end to end as a passive member: join from a Welcome, then process every epoch's
 * proposals and commit (public and private, PSKs, adds, removes, updates, random trees) and agree
 * on each epoch authenticator (§8.7). mls-implementations passive-client-welcome.json,
 * passive-client-handling-commit.json and passive-client-random.json (trimmed, README.md).
 *
 * Through ts-mls's joinGroup/processMessage with our providers and its default (accept-all)
 * credential policy: the vectors' credentials are not Parley credentials, and they use
 * PublicMessage handshakes and standalone proposals that the engine refuses by design.
 */

import type { CiphersuiteImpl, ClientState } from 'ts-mls';
import { joinGroup, makePskIndex } from 'ts-mls/clientState.js';
import { decodeMlsMessage } from 'ts-mls/message.js';
import { processPrivateMessage, processPublicMessage } from 'ts-mls/processMessages.js';
import { decodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { bytesToBase64 } from 'ts-mls/util/byteArray.js';
import { describe, expect, it } from 'vitest';
import { bytes, hex, providers, vectors } from '../providers.ts';

interface Passive {
  cipher_suite: number;
  external_psks: { psk_id: string; psk: string }[];
  key_package: string;
  signature_priv: string;
  encryption_priv: string;
  init_priv: string;
  welcome: string;
  ratchet_tree: string | null;
  initial_epoch_authenticator: string;
  epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[];
}

async function processHandshake(
  state: ClientState,
  message: string,
  psks: Record<string, Uint8Array>,
  cs: CiphersuiteImpl,
) {
  const m = decodeMlsMessage(bytes(message), 0)?.[0];
  if (m?.wireformat === 'mls_private_message') {
    return (await processPrivateMessage(state, m.privateMessage, makePskIndex(state, psks), cs)).newState;
  }
  if (m?.wireformat === 'mls_public_message') {
    return (await processPublicMessage(state, m.publicMessage, makePskIndex(state, psks), cs)).newState;
  }
  throw new Error('not a handshake message');
}

async function run(v: Passive, cs: CiphersuiteImpl): Promise<void> {
  const kp = decodeMlsMessage(bytes(v.key_package), 0)?.[0];
  const welcome = decodeMlsMessage(bytes(v.welcome), 0)?.[0];
  if (kp?.wireformat !== 'mls_key_package' || welcome?.wireformat !== 'mls_welcome') throw new Error('did not decode');
  const tree = v.ratchet_tree === null ? undefined : decodeRatchetTree(bytes(v.ratchet_tree), 0)?.[0];
  const psks: Record<string, Uint8Array> = {};
  for (const p of v.external_psks) psks[bytesToBase64(bytes(p.psk_id))] = bytes(p.psk);
  const privateKeys = {
    initPrivateKey: bytes(v.init_priv),
    hpkePrivateKey: bytes(v.encryption_priv),
    signaturePrivateKey: bytes(v.signature_priv),
  };
  let state = await joinGroup(welcome.welcome, kp.keyPackage, privateKeys, makePskIndex(undefined, psks), cs, tree);
  expect(hex(state.keySchedule.epochAuthenticator)).toBe(v.initial_epoch_authenticator);
  for (const epoch of v.epochs) {
    for (const proposal of epoch.proposals) state = await processHandshake(state, proposal, psks, cs);
    state = await processHandshake(state, epoch.commit, psks, cs);
    expect(hex(state.keySchedule.epochAuthenticator)).toBe(epoch.epoch_authenticator);
  }
}

const files = ['passive-client-welcome', 'passive-client-handling-commit', 'passive-client-random'] as const;

describe.each(providers)('passive-client vectors on %s', (_, cs) => {
  for (const file of files) {
    it.each(vectors<Passive>(file).map((v, i) => [i, v] as const))(`${file} %i`, (_i, v) => run(v, cs), 120_000);
  }
});
