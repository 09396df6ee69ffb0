/**
 * Typed errors of the server's storage layer. Every failure a store reports is a
 * {@link StorageError} with a stable {@link StorageErrorCode}; callers (the HTTP layer) map codes
 * to statuses and never match on message text. Messages are fixed strings chosen here: they never
 * contain account ids, device ids, key bytes or SQL.
 *
 * A `dependency` error keeps the driver's error as `cause` so that operators can diagnose a broken
 * database; driver messages may quote column values, so never log `cause` verbatim.
 *
 * @example
 * ```ts
 * try { await accounts.createAccount(identity, { deviceId: deviceId(1), deviceKey, certificate }) } catch (e) {
 *   if (StorageError.is(e, 'account-exists')) return conflict();
 *   throw e;
 * }
 * ```
 */
export type StorageErrorCode =
  /** An account with this identity key already exists. */
  | 'account-exists'
  /** The account already has a device with this id. */
  | 'device-exists'
  /** The account already has the maximum number of devices. */
  | 'device-limit'
  /** Removing the account's only device (delete the account instead); nothing was removed. */
  | 'last-device'
  /** A device list whose version is not greater than the stored one's; nothing was stored. */
  | 'stale-device-list'
  /** A device list naming a device the account does not have (or with another key); nothing was stored. */
  | 'unknown-device'
  /** A prekey id that the device already has (or that appears twice in one upload). */
  | 'duplicate-prekey'
  /** The account, device, mailbox or contact address an operation refers to does not exist. */
  | 'not-found'
  /** The mailbox already holds the most unexpired messages it may; nothing was stored. */
  | 'mailbox-full'
  /** The contact address already holds the most unexpired requests it may; nothing was stored. */
  | 'address-full'
  /** The device already holds the most unexpired prekey grants it may; nothing was stored. */
  | 'prekey-grants-full'
  /** A group with this id exists already; nothing was stored. */
  | 'group-exists'
  /** The device holds the most one-time key packages it may; nothing was stored. */
  | 'key-packages-full'
  /** The caller used the API wrongly (unknown database URL, a one-time key passed as last resort, …). */
  | 'usage'
  /** The database failed or could not be reached; the original error is the `cause`. */
  | 'dependency';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Type guard, optionally narrowing to one code. */
  static is(value: unknown, code?: StorageErrorCode): value is StorageError {
    return value instanceof StorageError && (code === undefined || value.code === code);
  }
}
