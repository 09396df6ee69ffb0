/**
 * Sending proofs on `MailboxSocket` connections (protocol §3.6, docs/server.md "WebSocket"). The
 * first send into a mailbox on a connection proves the mailbox's sender key once — a fresh
 * challenge, then `authorize` — and every later send into it on that connection goes without a
 * delivery signature: the server checks one proof per (connection, mailbox) instead of one
 * signature per envelope. Sends that start while the proof is on its way wait for it, so there is
 * one proof however many sends race; a new connection starts with none and proves again.
 *
 * Where the server will not authorise — a wrong key and an unknown mailbox (the same
 * `unauthorized`, so a prober cannot tell them apart), its limit of mailboxes per connection, an
 * answer this client does not understand — sends into that mailbox on that connection are signed,
 * as before sending proofs. The server's answer to a signed send is then the one an HTTP delivery
 * gets (404 for a wrong key and an unknown mailbox alike), which callers already know how to treat. So are the
 * sends to a server whose hello does not list `authorize` (or that sends no hello: it predates
 * them), which is never asked. Only a connection that dies during the proof fails the sends
 * waiting for it (`server-unreachable`).
 *
 * @example
 * ```ts
 * const rights = new SendingRights(env);
 * const unsigned = await rights.unsigned(conn, mailboxId, senderPrivateKey, Date.now() + 15_000);
 * // true: send into mailboxId on conn without `signature`; false: sign it (signDelivery)
 * ```
 */
import {
  encodeWireBytes,
  equalBytes,
  type ProtocolEnv,
  proveSendingRight,
  socketOperation,
  toHex,
} from '@parley/protocol';
import { ClientError } from '../errors.ts';
import { signing } from './server-errors.ts';
import type { SocketConnection } from './socket-connection.ts';
import type { ClientFrameBody } from './socket-frames.ts';

interface Right {
  /** The key the proof is made with: a send with another key is signed, and the server checks it. */
  readonly senderPrivateKey: Uint8Array;
  /** True once authorised; false when the server would not (its sends are signed). */
  readonly granted: Promise<boolean>;
}

export class SendingRights {
  /** Per connection, by mailbox (hex id); gone with the connection. */
  private readonly rights = new WeakMap<SocketConnection, Map<string, Right>>();

  constructor(private readonly env: ProtocolEnv) {}

  /**
   * Whether a send into `mailboxId` with `senderPrivateKey` may go unsigned on `conn`: on the
   * first call for that mailbox on this connection, proves the key (by `deadline`, ms since the
   * epoch); later and concurrent calls share the outcome. Rejects only with `server-unreachable`
   * (the connection died or did not answer in time) or `usage` (a malformed key).
   */
  unsigned(
    conn: SocketConnection,
    mailboxId: Uint8Array,
    senderPrivateKey: Uint8Array,
    deadline: number,
  ): Promise<boolean> {
    let mine = this.rights.get(conn);
    if (mine === undefined) {
      mine = new Map();
      this.rights.set(conn, mine);
    }
    const key = toHex(mailboxId);
    let right = mine.get(key);
    if (right === undefined) {
      right = { senderPrivateKey, granted: this.authorize(conn, mailboxId, senderPrivateKey, deadline) };
      mine.set(key, right);
    }
    return equalBytes(right.senderPrivateKey, senderPrivateKey) ? right.granted : Promise.resolve(false);
  }

  /** A challenge, then the sending proof over it; false if the server answers anything but `authorized`. */
  private async authorize(
    conn: SocketConnection,
    mailboxId: Uint8Array,
    senderPrivateKey: Uint8Array,
    deadline: number,
  ): Promise<boolean> {
    const left = () => Math.max(1, deadline - Date.now());
    if (conn.greeted && !conn.supports('authorize')) return false;
    try {
      const { challenge } = await conn.request({ type: 'challenge' }, 'challenge', left());
      // The server's first frame (its hello, if it has one) came before this answer.
      if (!conn.supports('authorize')) return false;
      // Bound to the authorize frame (§3.5.1): it serves no other frame or request.
      const proof = signing(() =>
        proveSendingRight(this.env, senderPrivateKey, mailboxId, challenge, socketOperation('authorize')),
      );
      const frame: ClientFrameBody = {
        type: 'authorize',
        mailbox: encodeWireBytes(mailboxId),
        challenge: encodeWireBytes(challenge),
        proof: encodeWireBytes(proof),
      };
      const answer = await conn.request(frame, 'authorized', left());
      return equalBytes(answer.mailbox, mailboxId);
    } catch (e) {
      if (!ClientError.is(e) || e.code === 'server-unreachable' || e.code === 'usage') throw e;
      return false; // refused, or answered with something else: sign instead
    }
  }
}
