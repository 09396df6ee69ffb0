/**
 * The sizes and counts the home server accepts (docs/server.md, API v1 and "WebSocket"): a
 * request beyond one of them is refused (`too-large` or `bad-request`), so a client splits its
 * work to fit. One table for both sides of the wire.
 *
 * Used by: packages/server (request schemas, the body limit, delivery, the WebSocket's bounds);
 * packages/client (upload and acknowledgement chunk sizes, the largest envelope it sends).
 */

/** The largest envelope a mailbox accepts (HTTP send, JSON and binary WebSocket `send`). */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

/** The largest HTTP request body the server reads: an envelope, plus ~⅓ for JSON and base64url. */
export const MAX_BODY_BYTES = 96 * 1024;

/** The largest contact request (`POST /v1/addresses/:id/requests`). */
export const MAX_CONTACT_REQUEST_BYTES = 32 * 1024;

/** One-time prekeys in one upload (`POST /v1/devices/self/one-time-prekeys`). */
export const MAX_ONE_TIME_PREKEY_UPLOAD = 500;

/** KEM prekeys in one upload (`POST /v1/devices/self/kem-prekeys`). */
export const MAX_KEM_PREKEY_UPLOAD = 50;

/**
 * Seqs in one acknowledgement or deletion: HTTP mailbox acks and contact-request deletions, the
 * JSON `ack` frame and the binary ack frame (socket-frames.ts).
 */
export const MAX_SEQS_PER_REQUEST = 1000;

/** Token hashes in one add or remove (`POST /v1/addresses/:id/tokens[/remove]`). */
export const MAX_TOKEN_HASHES_PER_REQUEST = 100;

/** The largest `limit` of a mailbox read or a contact-request listing. */
export const MAX_PAGE_LIMIT = 1000;

/** The `limit` of a mailbox read or a contact-request listing that names none. */
export const DEFAULT_PAGE_LIMIT = 100;

/** The longest registration key a private server reads (characters). */
export const MAX_REGISTRATION_KEY_LENGTH = 1024;

/** The largest WebSocket frame the server reads; a larger one closes the connection. */
export const MAX_SOCKET_FRAME_BYTES = 128 * 1024;

/** Mailboxes one WebSocket connection may subscribe to. */
export const MAX_SOCKET_SUBSCRIPTIONS = 1000;

/** Mailboxes one WebSocket connection may authorise for sending. */
export const MAX_SOCKET_AUTHORIZED = 1000;

/** Malformed frames after which the server closes a WebSocket connection (1008). */
export const MAX_SOCKET_BAD_FRAMES = 10;
