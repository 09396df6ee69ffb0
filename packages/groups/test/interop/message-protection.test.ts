/**
 * RFC 9420 §6 message framing and protection: open the vector's PublicMessage proposal and
 * commit (membership tag, signature) and PrivateMessage proposal, commit and application (sender
 * data, secret tree keys, our AES-GCM), then protect each again and open our own;
 * mls-implementations message-protection.json.
 */
import type { CiphersuiteImpl, RatchetTree } from 'ts-mls';
import { defaultCapabilities, defaultKeyRetentionConfig, defaultPaddingConfig } from 'ts-mls';
import { decodeCommit, encodeCommit } from 'ts-mls/commit.js';
import { getCiphersuiteNameFromId } from 'ts-mls/crypto/ciphersuite.js';
import type { GroupContext } from 'ts-mls/groupContext.js';
import { decodeMlsMessage } from 'ts-mls/message.js';
import { protectApplicationData, protectProposal, unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { protectProposalPublic, unprotectPublicMessage } from 'ts-mls/messageProtectionPublic.js';
import { decodeProposal, encodeProposal } from 'ts-mls/proposal.js';
import { createSecretTree } from 'ts-mls/secretTree.js';
import { describe, expect, it } from 'vitest';
import { bytes, hex, providers, vectors } from '../providers.ts';

interface MessageProtection {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  tree_hash: string;
  confirmed_transcript_hash: string;
  signature_priv: string;
  signature_pub: string;
  encryption_secret: string;
  sender_data_secret: string;
  membership_key: string;
  proposal: string;
  proposal_pub: string;
  proposal_priv: string;
  commit: string;
  commit_pub: string;
  commit_priv: string;
  application: string;
  application_priv: string;
}

// Sender data must name a non-blank leaf: the vectors' sender is leaf 1.
const tree: RatchetTree = [
  undefined,
  undefined,
  {
    nodeType: 'leaf',
    leaf: {
      leafNodeSource: 'commit',
      hpkePublicKey: new Uint8Array(),
      signaturePublicKey: new Uint8Array(),
      capabilities: defaultCapabilities(),
      parentHash: new Uint8Array(),
      extensions: [],
      signature: new Uint8Array(),
      credential: { credentialType: 'basic', identity: new Uint8Array() },
    },
  },
];

async function openPrivate(v: MessageProtection, gc: GroupContext, cs: CiphersuiteImpl, message: string) {
  const m = decodeMlsMessage(bytes(message), 0)?.[0];
  if (m?.wireformat !== 'mls_private_message') throw new Error('not a private message');
  const secretTree = await createSecretTree(2, bytes(v.encryption_secret), cs.kdf);
  const r = await unprotectPrivateMessage(
    bytes(v.sender_data_secret),
    m.privateMessage,
    secretTree,
    tree,
    gc,
    defaultKeyRetentionConfig,
    cs,
    bytes(v.signature_pub),
  );
  return r.content.content;
}

async function openPublic(v: MessageProtection, gc: GroupContext, cs: CiphersuiteImpl, message: string) {
  const m = decodeMlsMessage(bytes(message), 0)?.[0];
  if (m?.wireformat !== 'mls_public_message') throw new Error('not a public message');
  const r = await unprotectPublicMessage(bytes(v.membership_key), gc, [], m.publicMessage, cs, bytes(v.signature_pub));
  return r.content;
}

describe.each(providers)('message-protection vectors on %s', (_, cs) => {
  it.each(vectors<MessageProtection>('message-protection').map((v) => [v.cipher_suite, v] as const))(
    'suite %i',
    async (_s, v) => {
      const gc: GroupContext = {
        version: 'mls10',
        cipherSuite: getCiphersuiteNameFromId(1),
        groupId: bytes(v.group_id),
        epoch: BigInt(v.epoch),
        treeHash: bytes(v.tree_hash),
        confirmedTranscriptHash: bytes(v.confirmed_transcript_hash),
        extensions: [],
      };
      const proposal = decodeProposal(bytes(v.proposal), 0)?.[0];
      const commit = decodeCommit(bytes(v.commit), 0)?.[0];
      if (proposal === undefined || commit === undefined) throw new Error('did not decode');

      // The vector's messages open to the vector's contents.
      const pubProposal = await openPublic(v, gc, cs, v.proposal_pub);
      expect(pubProposal.contentType === 'proposal' && hex(encodeProposal(pubProposal.proposal))).toBe(v.proposal);
      const pubCommit = await openPublic(v, gc, cs, v.commit_pub);
      expect(pubCommit.contentType === 'commit' && hex(encodeCommit(pubCommit.commit))).toBe(v.commit);
      const privProposal = await openPrivate(v, gc, cs, v.proposal_priv);
      expect(privProposal.contentType === 'proposal' && hex(encodeProposal(privProposal.proposal))).toBe(v.proposal);
      const privCommit = await openPrivate(v, gc, cs, v.commit_priv);
      expect(privCommit.contentType === 'commit' && hex(encodeCommit(privCommit.commit))).toBe(v.commit);
      const app = await openPrivate(v, gc, cs, v.application_priv);
      expect(app.contentType === 'application' && hex(app.applicationData)).toBe(v.application);

      // What we protect opens again.
      const signKey = bytes(v.signature_priv);
      const pub = await protectProposalPublic(signKey, bytes(v.membership_key), gc, new Uint8Array(), proposal, 1, cs);
      const reopened = await unprotectPublicMessage(
        bytes(v.membership_key),
        gc,
        [],
        pub.publicMessage,
        cs,
        bytes(v.signature_pub),
      );
      expect(reopened.content.contentType === 'proposal' && hex(encodeProposal(reopened.content.proposal))).toBe(
        v.proposal,
      );
      for (const kind of ['proposal', 'application'] as const) {
        const secretTree = await createSecretTree(2, bytes(v.encryption_secret), cs.kdf);
        const sds = bytes(v.sender_data_secret);
        const e = new Uint8Array();
        const protectedMessage =
          kind === 'proposal'
            ? await protectProposal(signKey, sds, proposal, e, gc, secretTree, 1, defaultPaddingConfig, cs)
            : await protectApplicationData(
                signKey,
                sds,
                bytes(v.application),
                e,
                gc,
                secretTree,
                1,
                defaultPaddingConfig,
                cs,
              );
        const opened = await unprotectPrivateMessage(
          sds,
          protectedMessage.privateMessage,
          secretTree,
          tree,
          gc,
          defaultKeyRetentionConfig,
          cs,
          bytes(v.signature_pub),
        );
        const c = opened.content.content;
        if (kind === 'proposal')
          expect(c.contentType === 'proposal' && hex(encodeProposal(c.proposal))).toBe(v.proposal);
        else expect(c.contentType === 'application' && hex(c.applicationData)).toBe(v.application);
      }
    },
  );
});
