/**
 * The group engine (docs/protocol-groups.md §3): RFC 9420 groups over ts-mls 1.6.4, state in,
 * state out, bytes at the edges. Nothing here does I/O or keeps state between calls: each step
 * takes a {@link GroupState} and returns a new one, and a step that throws leaves the caller's
 * state as it was (ts-mls never mutates its input states), so a commit the delivery service
 * refuses (stale epoch) is dropped by keeping the old state.
 *
 * What the engine enforces beyond RFC 9420 (and ts-mls):
 * - every leaf carries a valid Parley credential (credential.ts), checked through ts-mls's
 *   AuthenticationService wherever a leaf enters the tree;
 * - one leaf per (account, device); a commit may not change the committer's (account, device);
 * - handshake messages are PrivateMessages (§6.3) and commits carry only Add and Remove by value
 *   (no standalone proposals, no PSK, ReInit, external init or extension changes yet): anything
 *   else is refused with `unsupported` by every Parley member alike, so members cannot fork on
 *   it;
 * - a sender is a non-blank leaf (ts-mls 1.6.4 computes that check but drops its result).
 *
 * Secrets ts-mls reports as `consumed` are not wiped here: the state passed in shares them (a
 * ratchet secret of the secret tree, the previous init secret), and the caller may have to keep
 * that state — a commit the delivery service refuses, a message that failed. Old states are
 * dropped and left to the collector, as everything else in a JavaScript heap.
 */
import {
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  createApplicationMessage,
  createCommit,
  createGroup,
  defaultCapabilities,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetime,
  defaultLifetimeConfig,
  emptyPskIndex,
  generateKeyPackageWithKey,
  type IncomingMessageAction,
  type IncomingMessageCallback,
  joinGroup,
  makePskIndex,
  mlsExporter,
  type Proposal,
  processPrivateMessage,
} from 'ts-mls';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { addToMap } from 'ts-mls/util/addToMap.js';
import {
  decodeKeyPackage,
  decodeKeyPackageSecret,
  decodeMessage,
  decodeState,
  encodeKeyPackage,
  encodeKeyPackageSecret,
  encodeMessage,
  encodeState,
} from './codec.ts';
import {
  bindLeafKey,
  decodeCredential,
  encodeCredential,
  type ParleyCredential,
  verifyCredential,
} from './credential.ts';
import { makeCiphersuiteImpl } from './crypto/ciphersuite.ts';
import { defaultMlsPrimitives } from './crypto/default.ts';
import { constantTimeEqual, type MlsPrimitives } from './crypto/primitives.ts';
import { GroupError } from './errors.ts';
import { guard } from './library-errors.ts';
import { deviceKey, leafAt, listMembers, type Member, memberAt, memberOf } from './members.ts';

export type { Member } from './members.ts';

/** A device as a group member: its bound credential and its leaf signature key pair. */
export interface MemberIdentity {
  readonly credential: ParleyCredential;
  readonly signatureKey: { readonly publicKey: Uint8Array; readonly privateKey: Uint8Array };
}

declare const groupStateBrand: unique symbol;
/** One member's view of a group at one epoch. Opaque; persist it with `encodeState`. */
export interface GroupState {
  readonly [groupStateBrand]: true;
}

export type Processed =
  | {
      readonly kind: 'application';
      readonly state: GroupState;
      readonly plaintext: Uint8Array;
      readonly sender: Member;
      readonly epoch: bigint;
    }
  | {
      readonly kind: 'commit';
      readonly state: GroupState;
      readonly sender: Member;
      readonly added: readonly Member[];
      readonly removed: readonly Member[];
      /** This member was removed: the state can no longer read or send anything newer. */
      readonly removedSelf: boolean;
    };

export interface CommitResult {
  /** The state to adopt once the delivery service has accepted `commit` for this epoch. */
  readonly state: GroupState;
  readonly commit: Uint8Array;
  /** For the added members (one Welcome for all of them), when there are any. */
  readonly welcome?: Uint8Array;
}

/** The group identifier Parley uses: 16 random bytes chosen by the creator (design §6). */
export const GROUP_ID_BYTES = 16;
/** Exporter label of each epoch's delivery-service write key (docs/protocol-groups.md §4). */
export const WRITE_KEY_LABEL = 'parley group write key';
/**
 * Short application messages are padded to this PrivateMessageContent length, so "ok" and a
 * sentence look alike; longer ones are not padded by the engine (the SDK pads its payloads).
 */
export const PAD_UNTIL = 192;

export interface GroupEngineOptions {
  /** Defaults to this platform's (node:crypto under Node, @noble elsewhere). */
  readonly primitives?: MlsPrimitives;
  /**
   * Replaces the ciphersuite implementation (the benchmark passes ts-mls's default provider's
   * to compare); the credential binding and write key still use `primitives`.
   */
  readonly cipherSuite?: CiphersuiteImpl;
}

interface Internal {
  readonly mls: ClientState;
}
export const wrap = (mls: ClientState): GroupState => ({ mls }) satisfies Internal as unknown as GroupState;
export function unwrap(state: GroupState): ClientState {
  const mls = (state as unknown as Partial<Internal>).mls;
  if (mls === undefined) throw new GroupError('usage', 'not a group state');
  return mls;
}

export function createGroupEngine(options: GroupEngineOptions = {}) {
  const p = options.primitives ?? defaultMlsPrimitives;
  const cs = options.cipherSuite ?? makeCiphersuiteImpl(p);
  const clientConfig: ClientConfig = {
    keyRetentionConfig: defaultKeyRetentionConfig,
    lifetimeConfig: defaultLifetimeConfig,
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    paddingConfig: { kind: 'padUntilLength', padUntilLength: PAD_UNTIL },
    authService: {
      async validateCredential(credential, signaturePublicKey) {
        return verifyCredential(p, credential, signaturePublicKey);
      },
    },
  };

  async function newKeyPackage(self: MemberIdentity) {
    return guard(
      () =>
        generateKeyPackageWithKey(
          encodeCredential(self.credential),
          defaultCapabilities(),
          defaultLifetime,
          [],
          { signKey: self.signatureKey.privateKey, publicKey: self.signatureKey.publicKey },
          cs,
        ),
      'usage',
    );
  }

  /**
   * Accepts a commit only if it is made of Adds and Removes by value (see the file comment);
   * the hook where admin rules will go. Records what it saw for the caller.
   */
  function commitPolicy(seen: { sender?: number; adds: number; removes: number[] }): IncomingMessageCallback {
    return (incoming): IncomingMessageAction => {
      if (incoming.kind !== 'commit' || incoming.senderLeafIndex === undefined) return 'reject';
      seen.sender = incoming.senderLeafIndex;
      for (const { proposal } of incoming.proposals) {
        if (proposal.proposalType === 'add') seen.adds++;
        else if (proposal.proposalType === 'remove') seen.removes.push(proposal.remove.removed);
        else return 'reject';
      }
      return 'accept';
    };
  }

  /** One leaf per (account, device) among the added and the members that stay. */
  function checkAddedDevices(before: ClientState, after: ClientState, removed: readonly number[]): Member[] {
    const present = new Set<string>();
    const gone = new Set(removed);
    for (const m of listMembers(before)) if (!gone.has(m.leaf)) present.add(deviceKey(m));
    const added: Member[] = [];
    for (const m of listMembers(after)) {
      const old = leafAt(before.ratchetTree, m.leaf);
      if (old !== undefined && !gone.has(m.leaf)) continue;
      if (present.has(deviceKey(m))) throw new GroupError('invalid', 'device already in the group');
      present.add(deviceKey(m));
      added.push(m);
    }
    return added;
  }

  /** A committer keeps its (account, device): its credential may rebind a new key, not rename. */
  function checkCommitterIdentity(before: ClientState, after: ClientState, leaf: number): void {
    const old = leafAt(before.ratchetTree, leaf);
    const now = leafAt(after.ratchetTree, leaf);
    if (old === undefined || now === undefined) return;
    const a = decodeCredential(old.credential);
    const b = decodeCredential(now.credential);
    if (a.deviceId !== b.deviceId || !constantTimeEqual(a.accountKey, b.accountKey)) {
      throw new GroupError('credential', 'committer changed identity');
    }
  }

  const engine = {
    primitives: p,
    cipherSuite: cs,

    /**
     * A device's member identity: a fresh leaf signature key pair bound by the account's
     * identity signing key (credential.ts). Made once per device and kept with its secrets.
     */
    async newIdentity(account: {
      readonly publicKey: Uint8Array;
      readonly privateKey: Uint8Array;
      readonly deviceId: number;
    }): Promise<MemberIdentity> {
      const { publicKey, signKey } = await guard(() => cs.signature.keygen(), 'dependency');
      const credential = bindLeafKey(p, account, account.deviceId, publicKey);
      return { credential, signatureKey: { publicKey, privateKey: signKey } };
    },

    /** A key package to publish (`public`) and the secret to join with (`private`, keep local). */
    async keyPackage(self: MemberIdentity): Promise<{ public: Uint8Array; private: Uint8Array }> {
      const kp = await newKeyPackage(self);
      return {
        public: encodeKeyPackage(kp.publicPackage),
        private: encodeKeyPackageSecret(kp.publicPackage, kp.privatePackage),
      };
    },

    async createGroup(params: { readonly groupId: Uint8Array; readonly self: MemberIdentity }): Promise<GroupState> {
      if (params.groupId.length !== GROUP_ID_BYTES) throw new GroupError('usage', 'group id must be 16 bytes');
      const kp = await newKeyPackage(params.self);
      const mls = await guard(
        () => createGroup(params.groupId, kp.publicPackage, kp.privatePackage, [], cs, clientConfig),
        'usage',
      );
      return wrap(mls);
    },

    /**
     * A commit adding the devices whose key packages are given and removing the given leaves,
     * with an UpdatePath (§12.4). With neither, an empty commit: a fresh path for
     * post-compromise security.
     */
    async commit(
      state: GroupState,
      proposals: { readonly add?: readonly Uint8Array[]; readonly remove?: readonly number[] } = {},
    ): Promise<CommitResult> {
      const s = unwrap(state);
      const extraProposals: Proposal[] = [];
      for (const bytes of proposals.add ?? []) {
        extraProposals.push({ proposalType: 'add', add: { keyPackage: decodeKeyPackage(bytes) } });
      }
      const own = s.privatePath.leafIndex;
      for (const leaf of new Set(proposals.remove ?? [])) {
        if (!Number.isInteger(leaf) || leaf === own || leafAt(s.ratchetTree, leaf) === undefined) {
          throw new GroupError('usage', 'can only remove another member');
        }
        extraProposals.push({ proposalType: 'remove', remove: { removed: leaf } });
      }
      const result = await guard(
        () => createCommit({ state: s, cipherSuite: cs }, { extraProposals, ratchetTreeExtension: true }),
        'usage',
      );
      checkAddedDevices(s, result.newState, proposals.remove ?? []);
      return {
        state: wrap(result.newState),
        commit: encodeMessage(result.commit),
        ...(result.welcome === undefined
          ? {}
          : { welcome: encodeMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome }) }),
      };
    },

    /** Joins from a Welcome (§12.4.3.1) with the key package secret it was made for. */
    async join(welcome: Uint8Array, keyPackageSecret: Uint8Array): Promise<GroupState> {
      const m = decodeMessage(welcome);
      if (m.wireformat !== 'mls_welcome') throw new GroupError('decode', 'not a welcome');
      const { publicPackage, privatePackage } = decodeKeyPackageSecret(keyPackageSecret);
      const ref = await guard(() => makeKeyPackageRef(publicPackage, cs.hash), 'internal');
      if (!m.welcome.secrets.some((s) => constantTimeEqual(s.newMember, ref))) {
        throw new GroupError('not-for-us', 'welcome not addressed to this key package');
      }
      const mls = await guard(() =>
        joinGroup(m.welcome, publicPackage, privatePackage, emptyPskIndex, cs, undefined, undefined, clientConfig),
      );
      if (mls.groupContext.groupId.length !== GROUP_ID_BYTES) throw new GroupError('invalid', 'bad group id');
      checkAddedDevices({ ...mls, ratchetTree: [] }, mls, []);
      return wrap(mls);
    },

    /** Encrypts an application message (§6.3) for the current epoch. */
    async encrypt(state: GroupState, plaintext: Uint8Array): Promise<{ state: GroupState; message: Uint8Array }> {
      const s = unwrap(state);
      if (s.groupActiveState.kind !== 'active') throw new GroupError('removed', 'removed from the group');
      const r = await guard(() => createApplicationMessage(s, plaintext, cs), 'usage');
      return {
        state: wrap(r.newState),
        message: encodeMessage({
          version: 'mls10',
          wireformat: 'mls_private_message',
          privateMessage: r.privateMessage,
        }),
      };
    },

    /**
     * Processes a message from the group's log: an application message (this epoch or one of
     * the few before it whose keys are retained) or a commit for this epoch. Anything else, and
     * anything malformed, forged or replayed, throws a GroupError and changes nothing.
     */
    async process(state: GroupState, bytes: Uint8Array): Promise<Processed> {
      const s = unwrap(state);
      const m = decodeMessage(bytes);
      if (m.wireformat !== 'mls_private_message') throw new GroupError('unsupported', 'not a private message');
      const pm = m.privateMessage;
      if (!constantTimeEqual(pm.groupId, s.groupContext.groupId)) {
        throw new GroupError('wrong-group', 'group message for another group');
      }
      if (s.groupActiveState.kind !== 'active') throw new GroupError('removed', 'removed from the group');
      const current = s.groupContext.epoch;
      if (pm.epoch > current) throw new GroupError('wrong-epoch', 'group message for an unavailable epoch');

      if (pm.contentType === 'application') {
        // processPrivateMessage's application path (processMessages.ts), keeping the sender.
        const old = pm.epoch < current ? s.historicalReceiverData.get(pm.epoch) : undefined;
        if (pm.epoch < current && old === undefined) {
          throw new GroupError('wrong-epoch', 'group message for an unavailable epoch');
        }
        const r = old ?? {
          senderDataSecret: s.keySchedule.senderDataSecret,
          secretTree: s.secretTree,
          ratchetTree: s.ratchetTree,
          groupContext: s.groupContext,
        };
        const result = await guard(() =>
          unprotectPrivateMessage(
            r.senderDataSecret,
            pm,
            r.secretTree,
            r.ratchetTree,
            r.groupContext,
            s.clientConfig.keyRetentionConfig,
            cs,
          ),
        );
        const content = result.content.content;
        if (content.contentType !== 'application' || content.sender.senderType !== 'member') {
          throw new GroupError('invalid', 'invalid group message');
        }
        const sender = memberAt(r.ratchetTree, content.sender.leafIndex);
        const next: ClientState =
          old === undefined
            ? { ...s, secretTree: result.tree }
            : {
                ...s,
                historicalReceiverData: addToMap(s.historicalReceiverData, pm.epoch, {
                  ...old,
                  secretTree: result.tree,
                }),
              };
        return { kind: 'application', state: wrap(next), plaintext: content.applicationData, sender, epoch: pm.epoch };
      }

      if (pm.contentType !== 'commit') throw new GroupError('unsupported', 'standalone proposals are not used');
      if (pm.epoch !== current) throw new GroupError('wrong-epoch', 'group message for an unavailable epoch');
      const seen: { sender?: number; adds: number; removes: number[] } = { adds: 0, removes: [] };
      const result = await guard(() => processPrivateMessage(s, pm, makePskIndex(s, {}), cs, commitPolicy(seen)));
      if (result.kind !== 'newState' || seen.sender === undefined) throw new GroupError('invalid', 'not a commit');
      if (result.actionTaken !== 'accept') throw new GroupError('unsupported', 'commit with unsupported proposals');
      const after = result.newState;
      const sender = memberAt(s.ratchetTree, seen.sender);
      const removed = seen.removes.map((leaf) => memberAt(s.ratchetTree, leaf));
      const removedSelf = after.groupActiveState.kind === 'removedFromGroup';
      const added = removedSelf ? [] : checkAddedDevices(s, after, seen.removes);
      if (!removedSelf) checkCommitterIdentity(s, after, seen.sender);
      return { kind: 'commit', state: wrap(after), sender, added, removed, removedSelf };
    },

    /** MLS-Exporter(label, context, length) of the current epoch (§8.5). */
    async exporter(state: GroupState, label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
      const s = unwrap(state);
      return guard(() => mlsExporter(s.keySchedule.exporterSecret, label, context, length, cs), 'usage');
    },

    /**
     * This epoch's delivery-service write key (design §6): an Ed25519 key pair whose seed is
     * MLS-Exporter("parley group write key", group id, 32). Every member of the epoch derives
     * the same pair; nobody else can.
     */
    async writeKeyPair(state: GroupState): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
      const seed = await engine.exporter(state, WRITE_KEY_LABEL, unwrap(state).groupContext.groupId, 32);
      return { publicKey: p.ed25519PublicKey(seed), privateKey: seed };
    },

    members(state: GroupState): Member[] {
      return listMembers(unwrap(state));
    },
    self(state: GroupState): Member {
      const s = unwrap(state);
      const leaf = leafAt(s.ratchetTree, s.privatePath.leafIndex);
      if (leaf === undefined) throw new GroupError('removed', 'removed from the group');
      return memberOf(s.privatePath.leafIndex, leaf);
    },
    epoch(state: GroupState): bigint {
      return unwrap(state).groupContext.epoch;
    },
    groupId(state: GroupState): Uint8Array {
      return unwrap(state).groupContext.groupId;
    },
    /** The epoch authenticator (§8.7): members of the same epoch agree on it; a fork shows. */
    epochAuthenticator(state: GroupState): Uint8Array {
      return unwrap(state).keySchedule.epochAuthenticator;
    },
    active(state: GroupState): boolean {
      return unwrap(state).groupActiveState.kind === 'active';
    },
    encodeState(state: GroupState): Uint8Array {
      return encodeState(unwrap(state));
    },
    decodeState(bytes: Uint8Array): GroupState {
      return wrap(decodeState(bytes, clientConfig));
    },
  };
  return engine;
}

export type GroupEngine = ReturnType<typeof createGroupEngine>;
