/**
 * Who is asking, for per-requester rate limits: by default the connection's remote address,
 * never a client-supplied header such as X-Forwarded-For (a reverse proxy's own address would
 * make every requester one; give the routes a `requesterOf` that knows the proxy instead).
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export type RequesterOf = (c: Context) => string;

/** The remote address of the connection; `unknown` without a socket (app.request() in tests). */
export function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
