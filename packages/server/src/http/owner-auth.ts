/**
 * Ownership proofs over HTTP (protocol §3.6–3.7; the check itself is mailboxes/owner-proof.ts):
 *
 *   Authorization: <Scheme> challenge=<32 bytes>, proof=<64 bytes>
 *
 * The proof must be bound to this very request: its method, target and body (§3.5.1,
 * request-operation.ts). Every failure, an unknown object included, is the same 401, so a
 * prober cannot tell which ids exist.
 */

import type { ProtocolEnv } from '@parley/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { OBJECT_ID_BYTES, type Ownership, provesOwnership } from '../mailboxes/owner-proof.ts';
import { decodeB64url } from '../wire-json.ts';
import { HttpError } from './http-error.ts';
import { requestOperation } from './request-operation.ts';

export type OwnedEnv = { Variables: { objectId: Uint8Array } };

/** The object id in the path (`:id`), or `not-found` when it cannot be one. */
export function objectIdOf(c: Context): Uint8Array {
  const id = decodeB64url(c.req.param('id') ?? '', OBJECT_ID_BYTES);
  if (id === null) throw new HttpError('not-found', 'no such object');
  return id;
}

/**
 * Middleware: the request must carry `Authorization: <scheme> challenge=…, proof=…` for `:id`,
 * the proof bound to this request (method, target, body).
 */
export function requireOwner<E extends OwnedEnv>(env: ProtocolEnv, scheme: string, o: Ownership): MiddlewareHandler<E> {
  const header = new RegExp(`^${scheme}\\s+challenge=([A-Za-z0-9_-]{43}),\\s*proof=([A-Za-z0-9_-]{86})$`);
  const refuse = () => new HttpError('unauthorized', 'a valid ownership proof is required');
  return async (c, next) => {
    const id = objectIdOf(c);
    const m = header.exec(c.req.header('authorization') ?? '');
    const challenge = m?.[1] === undefined ? null : decodeB64url(m[1], 32);
    const proof = m?.[2] === undefined ? null : decodeB64url(m[2], 64);
    if (challenge === null || proof === null) throw refuse();
    const operation = await requestOperation(env, c);
    if (operation === null || !(await provesOwnership(o, id, challenge, operation, proof))) throw refuse();
    c.set('objectId', id);
    await next();
  };
}
