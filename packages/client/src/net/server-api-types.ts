/**
 * What the SDK needs from a home server (docs/server.md, API v1), as typed calls. `ServerApi`
 * (server-api.ts) implements it over HTTP; every answer is validated before it is returned, and
 * every failure is a `ClientError` (errors.ts): `server-unreachable` when no answer came,
 * `rate-limited` (with `retryAfterMs`) on 429, `registration-refused` on a 403 at registration,
 * `server-error` with `status` and `serverCode` otherwise.
 */
import type {
  AccountId,
  DeviceId,
  Ed25519KeyPair,
  IdentityKeyPair,
  KemPreKeyPublic,
  OneTimePreKeyPublic,
  PreKeyBundle,
  SignedPreKeyPublic,
} from '@parley/protocol';

/** What a device signs authenticated requests with (protocol §3.5, purpose connect). */
export interface DeviceAuth {
  readonly account: AccountId;
  readonly device: DeviceId;
  readonly devicePrivateKey: Uint8Array;
}

/** A mailbox we own: its id and the recipient private key that proves it (protocol §3.6). */
export interface OwnedMailbox {
  readonly id: Uint8Array;
  readonly recipientPrivateKey: Uint8Array;
}

/** A contact address we own (protocol §3.7). */
export interface OwnedAddress {
  readonly id: Uint8Array;
  readonly ownerPrivateKey: Uint8Array;
}

export interface StoredEnvelope {
  readonly seq: number;
  readonly envelope: Uint8Array;
  readonly receivedAt: number;
}

export interface StoredRequest {
  readonly seq: number;
  readonly request: Uint8Array;
  readonly receivedAt: number;
}

export interface ServerApiLike {
  readonly url: string;
  register(
    identity: IdentityKeyPair,
    device: DeviceId,
    deviceKeys: Ed25519KeyPair,
    registrationKey?: string,
  ): Promise<{ readonly accountId: AccountId; readonly deviceId: DeviceId }>;
  deleteAccount(auth: DeviceAuth): Promise<void>;

  putSignedPreKey(auth: DeviceAuth, key: SignedPreKeyPublic): Promise<void>;
  /** Uploads in chunks the server accepts (≤ MAX_ONE_TIME_PREKEY_UPLOAD a request, @parley/protocol). */
  addOneTimePreKeys(auth: DeviceAuth, keys: readonly OneTimePreKeyPublic[]): Promise<void>;
  /** Uploads in chunks the server accepts (≤ MAX_KEM_PREKEY_UPLOAD a request, @parley/protocol). */
  addKemPreKeys(auth: DeviceAuth, keys: readonly KemPreKeyPublic[]): Promise<void>;
  putLastResortKemPreKey(auth: DeviceAuth, key: KemPreKeyPublic): Promise<void>;
  /** Our device's one-time keys left, and how many bundles carried our last-resort KEM key. */
  preKeyCounts(auth: DeviceAuth): Promise<PreKeyCountsAnswer>;
  /**
   * Registers hashes of prekey grants we gave out (protocol prekey-grant.ts), valid until
   * `expiresAt` (the server keeps them at most 30 days).
   */
  addPreKeyGrants(auth: DeviceAuth, grantHashes: readonly Uint8Array[], expiresAt: number): Promise<void>;
  /**
   * Decoded but not verified: the caller verifies it against the identity it pinned. With a
   * `grant` (from an invitation link) the server serves one-time keys on the grant's budget.
   */
  fetchBundle(account: AccountId, device: DeviceId, options?: { grant?: Uint8Array }): Promise<PreKeyBundle>;

  createMailbox(auth: DeviceAuth, recipientKey: Uint8Array, senderKey: Uint8Array): Promise<Uint8Array>;
  /** Signs the envelope with the mailbox's sender key and delivers it; idempotent. */
  deliver(
    mailboxId: Uint8Array,
    senderPrivateKey: Uint8Array,
    envelope: Uint8Array,
  ): Promise<{ readonly seq: number; readonly duplicate: boolean }>;
  readMailbox(mailbox: OwnedMailbox, after?: number, limit?: number): Promise<StoredEnvelope[]>;
  ackMailbox(mailbox: OwnedMailbox, seqs: readonly number[]): Promise<number>;
  deleteMailbox(mailbox: OwnedMailbox): Promise<void>;

  createAddress(auth: DeviceAuth, ownerKey: Uint8Array): Promise<Uint8Array>;
  postRequest(addressId: Uint8Array, request: Uint8Array, token?: Uint8Array): Promise<{ readonly seq: number }>;
  listRequests(address: OwnedAddress, after?: number, limit?: number): Promise<StoredRequest[]>;
  deleteRequests(address: OwnedAddress, seqs: readonly number[]): Promise<number>;
  deleteAddress(address: OwnedAddress): Promise<void>;
}

/** GET /v1/devices/self/prekey-counts; `lastResortServed` is absent from servers that do not count it. */
export interface PreKeyCountsAnswer {
  readonly oneTime: number;
  readonly kem: number;
  readonly lastResortServed?: number | undefined;
}
