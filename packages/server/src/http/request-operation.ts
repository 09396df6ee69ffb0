/**
 * The operation an HTTP request performs, as a proof must have bound it (protocol §3.5.1):
 * the method, the target — the path as this server received it and its query in canonical
 * form — and SHA-256 of the body's bytes as they arrived (not a re-serialisation of the parsed
 * JSON, which a client could not predict). A reverse proxy in front of the server must pass the
 * method, the path from `/v1/` on, the query's parameters and the body through unchanged
 * (docs/server.md "Authentication").
 *
 * The body is read here, before the handler parses it (hono keeps the bytes for the handler's
 * `c.req.json()`), and within the server's body limit, whose error passes through untouched.
 */
import { canonicalTarget, httpOperation, type Operation, type ProtocolEnv, ProtocolError } from '@parley/protocol';
import type { Context } from 'hono';

/** The request's operation, or null when it cannot be one a proof binds (no proof can match it). */
export async function requestOperation(env: ProtocolEnv, c: Context): Promise<Operation | null> {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const url = new URL(c.req.url);
  try {
    return httpOperation(env, c.req.method, canonicalTarget(url.pathname, url.search), body);
  } catch (e) {
    if (ProtocolError.is(e)) return null;
    throw e;
  }
}
