/**
 * Device authentication for HTTP requests (docs/server.md "Authentication"). No passwords and no
 * bearer tokens: each authenticated request carries a proof — the device key's signature over a
 * fresh single-use challenge from POST /v1/challenges and this very request's method, target and
 * body (purpose `connect`, protocol §3.5, §3.5.1):
 *
 *   Authorization: Parley account=<account id>, device=<n>, challenge=<b64url>, proof=<b64url>
 *
 * The challenge is consumed by the first valid proof, and the proof serves no other request, so
 * a captured header is worth nothing but the request it came with. The header is parsed here;
 * the proof is checked by accounts/device-proof.ts.
 */
import { type AccountId, type DeviceId, deviceId, parseAccountId } from '@parley/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { type AuthenticatedDevice, authenticateDevice, type DeviceClaim } from '../accounts/device-proof.ts';
import type { ApiDeps } from '../api-deps.ts';
import { decodeB64url } from '../wire-json.ts';
import { HttpError } from './http-error.ts';
import { requestOperation } from './request-operation.ts';

export type AuthEnv = { Variables: { caller: AuthenticatedDevice } };

const HEADER = /^Parley\s+(.+)$/;
const PARAM = /^\s*(account|device|challenge|proof)=([A-Za-z0-9_-]+)\s*$/;
/** Longer headers are refused outright rather than truncated. */
const MAX_HEADER = 1024;

function unauthorized(): never {
  throw new HttpError('unauthorized', 'a valid Parley device proof is required');
}

function bytes(s: string | undefined, length: number): Uint8Array {
  return (s === undefined ? null : decodeB64url(s, length)) ?? unauthorized();
}

/** Parses the Authorization header; any malformation is `unauthorized`, never a crash. */
export function parseAuthorization(header: string | undefined): DeviceClaim {
  const m = header === undefined || header.length > MAX_HEADER ? null : HEADER.exec(header);
  if (m?.[1] === undefined) unauthorized();
  const params = new Map<string, string>();
  for (const part of m[1].split(',')) {
    const p = PARAM.exec(part);
    if (p?.[1] === undefined || p[2] === undefined || params.has(p[1])) unauthorized();
    params.set(p[1], p[2]);
  }
  let account: AccountId;
  let device: DeviceId;
  try {
    account = parseAccountId(params.get('account') ?? '');
    const d = params.get('device') ?? '';
    if (!/^\d{1,10}$/.test(d)) unauthorized();
    device = deviceId(Number(d));
  } catch {
    unauthorized();
  }
  return {
    account,
    accountKey: bytes(account, 32),
    device,
    challenge: bytes(params.get('challenge'), 32),
    proof: bytes(params.get('proof'), 64),
  };
}

/** Middleware: authenticates the calling device for this request and stores it as `c.var.caller`. */
export function requireDevice(deps: ApiDeps): MiddlewareHandler<AuthEnv> {
  return async (c: Context<AuthEnv>, next) => {
    const claim = parseAuthorization(c.req.header('authorization'));
    const operation = (await requestOperation(deps.env, c)) ?? unauthorized();
    const caller = await authenticateDevice(deps, claim, operation);
    deps.quotas?.take(c, 'account-requests', caller.account);
    c.set('caller', caller);
    await next();
  };
}
