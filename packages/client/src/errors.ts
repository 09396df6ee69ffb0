/**
 * Typed errors of the client SDK. Callers (the CLI, apps) branch on `code`; `message` is a fixed,
 * human sentence chosen by this package that says what happened and what to do next. Messages
 * never contain key material, plaintext, contact names, mailbox ids or bytes received from a peer.
 */
export type ClientErrorCode =
  /** The passphrase does not open the local store. */
  | 'wrong-passphrase'
  /** The local store is damaged or was written by an unknown version. */
  | 'store-corrupt'
  /** The local store could not be read or written (permissions, a full disk, an I/O error). */
  | 'store-io'
  /** Another process holds the local store (e.g. a running `parley chat`) for too long. */
  | 'store-busy'
  /** Another process has this profile open for writing (one writer per profile). */
  | 'profile-locked'
  /** No profile here yet (run init first), or the named profile does not exist. */
  | 'no-profile'
  /** A profile of that name already exists. */
  | 'profile-exists'
  /** The server could not be reached (connection refused, DNS, TLS, timeout). */
  | 'server-unreachable'
  /** The server answered with an error that is not one of the more specific codes below. */
  | 'server-error'
  /** The server refused registration (private server: registration key missing or wrong). */
  | 'registration-refused'
  /** The server is rate-limiting us; `retryAfterMs` says when to try again, if known. */
  | 'rate-limited'
  /** Not a Parley invitation or contact address, truncated, or malformed. */
  | 'bad-link'
  /** The invitation was already used (or revoked) by its inviter. */
  | 'invitation-used'
  /** The invitation's expiry time has passed. */
  | 'invitation-expired'
  /** The link is one of this profile's own. */
  | 'own-link'
  /** The contact address was revoked by its owner. */
  | 'address-revoked'
  /** No contact, request or address by that name or id. */
  | 'unknown-contact'
  | 'unknown-request'
  /** The link is from someone who already is a contact (names the contact, never the key). */
  | 'already-contact'
  /** The contact's identity key changed and the contact was verified: accept the new key first. */
  | 'identity-changed'
  /** The contact cannot receive messages yet (the connection is not complete). */
  | 'not-connected'
  /** A peer sent bytes that do not parse or do not authenticate. */
  | 'bad-message'
  /** Linking a device: the codes on the two screens differ (someone is in the middle): nothing was linked. */
  | 'link-code-mismatch'
  /** Linking a device: the link's 10 minutes are over. */
  | 'link-expired'
  /** Linking a device: the link was used already (by another device, or an earlier try). */
  | 'link-used'
  /** Linking a device: a message between the devices did not authenticate (a meddling server). */
  | 'link-tampered'
  /** Linking a device: the user declined on either device, or the linking was interrupted. */
  | 'link-aborted'
  /** No device of this account by that id (`devices` lists them). */
  | 'unknown-device'
  /** Another device of this account removed this one: it can no longer send or receive. */
  | 'removed-from-account'
  /** Another device of this account changed the device list meanwhile: look again and retry. */
  | 'devices-changed'
  /** No group by that name or id in this profile (`groups` lists them). */
  | 'unknown-group'
  /** This device is no longer in the group (removed, or it left). */
  | 'not-in-group'
  /** Only the group's admins add, remove and name admins. */
  | 'not-admin'
  /** Other members kept changing the group while we tried to commit: try again. */
  | 'group-busy'
  /** The caller used the API wrongly. */
  | 'usage'
  /** A bug in this package. */
  | 'internal';

/**
 * What a server's refusal means, whichever transport carried it (net/server-errors.ts), so that no
 * flow reads an HTTP status:
 * - `gone`: what was asked for does not exist (any more): a mailbox, an account, an invitation;
 * - `not-owner`: the credential is not (or no longer) accepted for it — for a mailbox or an
 *   address the server does not tell this from `gone`;
 * - `conflict`: it exists already (a registration that happened before a crash);
 * - `refused`: this request will never be accepted (malformed, too large, forbidden);
 * - `later`: the server failed or timed out; the same request may succeed later.
 */
export type ServerRefusal = 'gone' | 'not-owner' | 'conflict' | 'refused' | 'later';

export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;
  /** For `server-error`: the HTTP status and the server's error code, when it sent one. */
  readonly status: number | undefined;
  readonly serverCode: string | undefined;
  /** For `rate-limited`: how long the server asked us to wait. */
  readonly retryAfterMs: number | undefined;
  /** For `server-error`: what the refusal means (set by the transport). */
  readonly refusal: ServerRefusal | undefined;

  constructor(
    code: ClientErrorCode,
    message: string,
    details: {
      status?: number;
      serverCode?: string;
      retryAfterMs?: number;
      refusal?: ServerRefusal;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.serverCode = details.serverCode;
    this.retryAfterMs = details.retryAfterMs;
    this.refusal = details.refusal;
  }

  static is(e: unknown, code?: ClientErrorCode): e is ClientError {
    return e instanceof ClientError && (code === undefined || e.code === code);
  }
}
