/**
 * What the SDK needs from a home server (docs/server.md, API v1), as typed calls. `ServerApi`
 * (server-api.ts) implements it over HTTP; every answer is validated before it is returned, and
 * every failure is a `ClientError` (errors.ts): `server-unreachable` when no answer came,
 * `rate-limited` (with `retryAfterMs`) on 429, `registration-refused` on a 403 at registration,
 * `server-error` with `status` and `serverCode` otherwise.
 */
import type {
  AccountId,
  DeviceCertificate,
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

  /**
   * Adds a device to our account (the linking device calls it with the new device's certificate,
   * signed by our identity). Refusals: `rate-limited` past the linking quota; `server-error` 400 if
   * the certificate is not our identity's; 409 with `serverCode` `device-exists` (the id is taken)
   * or `device-limit` (the account has the most devices the server allows).
   */
  addDevice(auth: DeviceAuth, certificate: DeviceCertificate): Promise<DeviceId>;
  /** Our account's devices as the server has them, by ascending id. */
  listDevices(auth: DeviceAuth): Promise<AccountDevice[]>;
  /**
   * Removes a device of our account with its prekeys: its proofs are refused from then on.
   * Refusals: 404 (`refusal` `gone`) for an unknown device; 409 `serverCode` `last-device`.
   */
  removeDevice(auth: DeviceAuth, device: DeviceId): Promise<void>;
  /**
   * Publishes our signed device list (protocol §14.1). `stale` when the server holds a list of the
   * same or a greater version: `current` is that list, as the server sent it — unverified, open it
   * with `openDeviceList` before believing it. Refusals: 400 for a list the server cannot verify
   * against our identity; 409 `serverCode` `unknown-device` if it names a device the server does
   * not have (add it first).
   */
  putDeviceList(auth: DeviceAuth, list: Uint8Array): Promise<PutDeviceListAnswer>;
  /**
   * An account's latest published device list, or `null` if it never published one (treat the
   * account as the one device we know). Unverified: open it with `openDeviceList` against the
   * identity we pinned. Anonymous, and budgeted per requester by the server (`rate-limited`).
   */
  getDeviceList(account: AccountId): Promise<Uint8Array | null>;

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

/** A device of our account, as the server lists it (GET /v1/accounts/self/devices). */
export interface AccountDevice {
  readonly deviceId: DeviceId;
  /** When it was added, in milliseconds since the Unix epoch (the server's clock). */
  readonly createdAt: number;
  /** When it last authenticated a request (the server's clock). */
  readonly lastSeenAt: number;
}

/** PUT /v1/accounts/self/device-list: stored (or already stored), or refused as stale. */
export type PutDeviceListAnswer =
  | { readonly outcome: 'stored' }
  | { readonly outcome: 'stale'; readonly current: Uint8Array };
