/**
 * Who is asking, for per-requester rate limits: the source the server's quotas resolve (the
 * configured trusted proxies' `X-Forwarded-For`, IPv6 grouped by prefix: client-address.ts), or
 * without quotas the connection's remote address — never a client-supplied header on its own.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { ApiDeps } from '../api-deps.ts';

export type RequesterOf = (c: Context) => string;

/** The remote address of the connection; `unknown` without a socket (app.request() in tests). */
export function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The requester key routes use by default: the quotas' source when the server has quotas. */
export function requesterKeyOf(deps: ApiDeps): RequesterOf {
  const quotas = deps.quotas;
  return quotas ? (c) => quotas.sourceOf(c) : remoteAddress;
}
