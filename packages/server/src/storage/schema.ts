/**
 * Kysely table types: the logical schema that `migrations.ts` creates on both SQLite and
 * PostgreSQL. Column names are snake_case as in SQL; stores convert rows to the camelCase records
 * of `@parley/protocol`.
 *
 * Conventions, identical on both backends:
 * - byte strings are `blob` / `bytea` and read back as `Uint8Array` (Node `Buffer`s);
 * - ids and timestamps are `bigint` columns read back as JS numbers: device and key ids are u32,
 *   timestamps are milliseconds since the Unix epoch (both far below 2^53);
 * - flags are `boolean`, which SQLite stores as 0/1: write `0 | 1`, read {@link SqlBool}.
 */
import type { KemPreKeyPublic, OneTimePreKeyPublic, SignedPreKeyPublic } from '@parley/protocol';
import type { ColumnType, Generated, SqlBool } from 'kysely';

/** Milliseconds since the Unix epoch. */
type Millis = number;

/** An account is its identity: there is no name, phone number or e-mail address. */
export interface AccountsTable {
  /** The identity's Ed25519 signing public key (32 bytes); its base64url is the `AccountId`. */
  account_id: Uint8Array;
  /** The encoded `PublicIdentity` (128 bytes: signing key ‖ agreement key ‖ certificate). */
  identity: Uint8Array;
  created_at: Millis;
}

export interface DevicesTable {
  account_id: Uint8Array;
  /** The account-chosen `DeviceId`, a u32 ≥ 1. */
  device_id: number;
  /** The device's Ed25519 public key (32 bytes), with which it proves who it is. */
  device_key: Uint8Array;
  /**
   * The encoded device certificate: the identity's signature over the device id and key. Opaque
   * here; whoever authenticates a device verifies it against the account's identity.
   */
  certificate: Uint8Array;
  created_at: Millis;
  last_seen_at: Millis;
  /** Bundles handed out with the last-resort KEM prekey (migration 0004), for the owner to see. */
  last_resort_served: Generated<number>;
  /** Key packages handed out as the last-resort one (migration 0006), for the owner to see. */
  key_package_last_resort_served: Generated<number>;
}

/** The columns that name a device: the devices table's primary key, and prekeys' foreign key. */
export interface DeviceKey {
  readonly account_id: Uint8Array;
  readonly device_id: number;
}

/** At most one row per device: the current signed X25519 prekey. */
export interface SignedPreKeysTable {
  account_id: Uint8Array;
  device_id: number;
  key_id: SignedPreKeyPublic['id'];
  public_key: SignedPreKeyPublic['publicKey'];
  created_at: SignedPreKeyPublic['createdAt'];
  signature: SignedPreKeyPublic['signature'];
}

/** One-time X25519 prekeys, deleted as they are handed out. */
export interface OneTimePreKeysTable {
  account_id: Uint8Array;
  device_id: number;
  key_id: OneTimePreKeyPublic['id'];
  public_key: OneTimePreKeyPublic['publicKey'];
}

/** ML-KEM-768 prekeys: one-time ones (deleted when handed out) and at most one last-resort one. */
export interface KemPreKeysTable {
  account_id: Uint8Array;
  device_id: number;
  key_id: KemPreKeyPublic['id'];
  public_key: KemPreKeyPublic['publicKey'];
  created_at: KemPreKeyPublic['createdAt'];
  signature: KemPreKeyPublic['signature'];
  /** Part of what the signature covers, so it is stored as uploaded. */
  last_resort: ColumnType<SqlBool, 0 | 1, 0 | 1>;
}

/** Authentication challenges the server has issued and not yet seen answered; each is used once. */
export interface AuthChallengesTable {
  /** 32 random bytes. */
  challenge: Uint8Array;
  /** The challenge is valid while the clock reads less than this. */
  expires_at: Millis;
}

/**
 * A store-and-forward mailbox. Deliberately unlinked: no account, no device, only its id and the
 * two keys that authorise reading it and writing to it.
 */
export interface MailboxesTable {
  /** 16 random bytes. */
  mailbox_id: Uint8Array;
  /** The owner's Ed25519 public key (32 bytes): fetching and acknowledging are signed with it. */
  recipient_key: Uint8Array;
  /** The Ed25519 public key (32 bytes) that senders sign deliveries with. */
  sender_key: Uint8Array;
  created_at: Millis;
  /** How many messages it stores, expired ones too until purged (kept by triggers). */
  message_count: Generated<number>;
}

/** Envelopes waiting in a mailbox until the owner acknowledges them or they expire. */
export interface MailboxMessagesTable {
  /** Assigned by the database on insert; increases with every insert, never reused. */
  seq: Generated<number>;
  mailbox_id: Uint8Array;
  /** SHA-256 of the envelope; unique per mailbox. */
  digest: Uint8Array;
  /** Opaque to the server. */
  envelope: Uint8Array;
  received_at: Millis;
  /** The message is delivered while the clock reads less than this. */
  expires_at: Millis;
}

/**
 * The digest of a message its owner acknowledged, kept until the message would have expired, so
 * that the same envelope delivered again is answered as a duplicate rather than stored and
 * pushed again (mailbox-ops.ts).
 */
export interface MailboxAckedTable {
  mailbox_id: Uint8Array;
  digest: Uint8Array;
  /** The acknowledged message's seq and arrival, the answer to a copy. */
  seq: number;
  received_at: Millis;
  expires_at: Millis;
}

/**
 * A contact address: a long-lived, revocable address where anyone can leave a contact request for
 * its owner. Deliberately unlinked, like a mailbox: no account, no device, only its id and the key
 * that authorises managing it.
 */
export interface ContactAddressesTable {
  /** 16 random bytes. */
  address_id: Uint8Array;
  /** The owner's Ed25519 public key (32 bytes): reading requests and managing tokens are signed with it. */
  owner_key: Uint8Array;
  created_at: Millis;
}

/** Encrypted contact requests waiting at an address until the owner deletes them or they expire. */
export interface ContactRequestsTable {
  /** Assigned by the database on insert; increases with every insert, never reused. */
  seq: Generated<number>;
  address_id: Uint8Array;
  /** SHA-256 of the body; unique per address. */
  digest: Uint8Array;
  /** Opaque to the server. */
  body: Uint8Array;
  received_at: Millis;
  /** The request is delivered while the clock reads less than this. */
  expires_at: Millis;
}

/** Tokens an address's owner has handed to contacts, by their SHA-256 hash. */
export interface ContactTokensTable {
  address_id: Uint8Array;
  /** SHA-256 of the token (32 bytes); the token itself is never stored. */
  token_hash: Uint8Array;
  created_at: Millis;
}

export interface Schema {
  accounts: AccountsTable;
  devices: DevicesTable;
  signed_prekeys: SignedPreKeysTable;
  one_time_prekeys: OneTimePreKeysTable;
  kem_prekeys: KemPreKeysTable;
  auth_challenges: AuthChallengesTable;
  mailboxes: MailboxesTable;
  mailbox_messages: MailboxMessagesTable;
  mailbox_acked: MailboxAckedTable;
  contact_addresses: ContactAddressesTable;
  contact_requests: ContactRequestsTable;
  contact_tokens: ContactTokensTable;
  prekey_grants: PreKeyGrantsTable;
  device_lists: DeviceListsTable;
  groups: GroupsTable;
  group_epochs: GroupEpochsTable;
  group_entries: GroupEntriesTable;
  key_packages: KeyPackagesTable;
}

/**
 * A group's log (migration 0006; docs/server.md "Groups"): its random id, its current epoch and
 * counters. Nothing names a member, an account or a device.
 */
export interface GroupsTable {
  /** 16 random bytes, chosen by the creator. */
  group_id: Uint8Array;
  /** The current epoch: the one whose write key may post. */
  epoch: number;
  /** The seq of the last entry posted (per group: seqs count this group's entries only). */
  last_seq: number;
  /** The highest seq retention has deleted (0: none): a reader after less must rejoin. */
  trimmed_seq: number;
  /** Entries kept, and their message bytes, for the size bounds. */
  entry_count: number;
  byte_count: number;
  created_at: Millis;
  /** The last post or authenticated read (coarse): idle groups are deleted. */
  active_at: Millis;
}

/** The write key of each epoch still needed (the current one, and those with entries kept). */
export interface GroupEpochsTable {
  group_id: Uint8Array;
  epoch: number;
  /** Ed25519 public key (32 bytes), derived by the epoch's members from the MLS exporter. */
  write_key: Uint8Array;
  /** The seq of the epoch's first entry (the one after the commit that opened it; 1 for epoch 0). */
  first_seq: number;
}

/** A group's entries: MLS messages, opaque to the server, stored once per group. */
export interface GroupEntriesTable {
  group_id: Uint8Array;
  seq: number;
  /** The epoch it was posted in. */
  epoch: number;
  /** A commit (it moved the group to epoch + 1) rather than an application message. */
  commit: ColumnType<SqlBool, 0 | 1, 0 | 1>;
  message: Uint8Array;
  /** A commit's write key for the next epoch; empty for an application message. */
  next_write_key: Uint8Array;
  /** The message's length in bytes (for the size bound without reading it). */
  size: number;
  received_at: Millis;
}

/** MLS key packages a device published (RFC 9420 §10): one-time ones, and at most one last resort. */
export interface KeyPackagesTable {
  account_id: Uint8Array;
  device_id: number;
  /** SHA-256 of the key package: an upload repeated stores nothing twice. */
  digest: Uint8Array;
  /** Opaque to the server; the adder checks it (its signature and credential). */
  key_package: Uint8Array;
  last_resort: ColumnType<SqlBool, 0 | 1, 0 | 1>;
  created_at: Millis;
}

/** Hashes of the prekey grants a device gave out (protocol prekey-grant.ts), until they expire. */
export interface PreKeyGrantsTable {
  account_id: Uint8Array;
  device_id: number;
  /** HKDF image of the grant (32 bytes): the database alone cannot be used to present one. */
  grant_hash: Uint8Array;
  expires_at: Millis;
}

/**
 * The latest device list an account published (migration 0005): the encoded, identity-signed list
 * (protocol §14.1), verified before it is stored, and its version, which only grows.
 */
export interface DeviceListsTable {
  account_id: Uint8Array;
  /** The list's version (≥ 1), below 2^53. */
  version: number;
  /** The encoded signed list, as published. */
  list: Uint8Array;
  updated_at: Millis;
}
