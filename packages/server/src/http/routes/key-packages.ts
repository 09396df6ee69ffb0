/**
 * MLS key packages (RFC 9420 §10) per device, like prekeys (issue 20; docs/server.md "Key
 * packages"): a device publishes one-time key packages and one last-resort one; anyone may fetch
 * one key package for every device of an account (the adder may be on another server), budgeted
 * per requester as bundle fetches are (prekeys.ts): a requester spends only its own budget, and
 * past its share of an account's one-time key packages, or the account's from everyone, it is
 * served the last-resort ones, which are counted for the owner to see.
 *
 *   PUT /v1/accounts/self/key-packages         device proof  {"oneTime":[…],"lastResort"?} → 204
 *   GET /v1/accounts/self/key-packages/counts  device proof  → {"oneTime","lastResort","lastResortServed"}
 *   GET /v1/accounts/:account/key-packages     none          → {"keyPackages":[{"deviceId","keyPackage","lastResort"}…]}
 *
 * Key packages are opaque here: the adder checks each one's signature and that its credential is
 * the account's identity and that device (docs/protocol-groups.md), so a server that substitutes
 * one is caught there, as one that substitutes a prekey bundle is.
 */
import {
  MAX_KEY_PACKAGE_BYTES,
  MAX_KEY_PACKAGE_UPLOAD,
  parseAccountId,
  type WireDeviceKeyPackage,
} from '@parley/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../../api-deps.ts';
import { StorageError } from '../../storage/index.ts';
import { b64url, toB64url } from '../../wire-json.ts';
import { type AuthEnv, requireDevice } from '../device-auth.ts';
import { HttpError } from '../http-error.ts';
import { RateLimiter } from '../rate-limit.ts';
import { readBody } from '../read-body.ts';
import { type RequesterOf, requesterKeyOf } from '../requester-key.ts';
import { BUNDLE_LIMITS } from './prekeys.ts';

const keyPackage = b64url()
  .refine((b) => b.length >= 1, 'a key package must not be empty')
  .refine((b) => b.length <= MAX_KEY_PACKAGE_BYTES, `a key package is at most ${MAX_KEY_PACKAGE_BYTES} bytes`);
const Upload = z
  .strictObject({ oneTime: z.array(keyPackage).max(MAX_KEY_PACKAGE_UPLOAD), lastResort: keyPackage.optional() })
  .refine((u) => u.oneTime.length > 0 || u.lastResort !== undefined, 'nothing to upload');

export interface KeyPackageRouteOptions {
  /** Fetches per requester, all accounts together; over it 429 (default: the bundle fetch budget). */
  readonly perRequester?: RateLimiter;
  /** Fetches with one-time key packages per requester and account (default 6 an hour, bursts of 3). */
  readonly oneTimePerRequester?: RateLimiter;
  /** Fetches with one-time key packages per account, all requesters together (default 20 an hour, bursts of 10). */
  readonly oneTimePerTarget?: RateLimiter;
  readonly requesterOf?: RequesterOf;
}

export function keyPackageRoutes(deps: ApiDeps, options: KeyPackageRouteOptions = {}): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  const auth = requireDevice(deps);
  const requesterOf = options.requesterOf ?? requesterKeyOf(deps);
  const perRequester = options.perRequester ?? new RateLimiter(BUNDLE_LIMITS.perRequester);
  const oneTimePerRequester = options.oneTimePerRequester ?? new RateLimiter(BUNDLE_LIMITS.oneTimePerRequester);
  const oneTimePerTarget = options.oneTimePerTarget ?? new RateLimiter(BUNDLE_LIMITS.oneTimePerTarget);

  api.put('/accounts/self/key-packages', auth, async (c) => {
    const { oneTime, lastResort } = await readBody(c, Upload);
    const caller = c.var.caller;
    try {
      await deps.keyPackages.upload(caller.account, caller.device, oneTime, lastResort ?? null, deps.env.now());
    } catch (e) {
      if (StorageError.is(e, 'key-packages-full')) {
        throw new HttpError('conflict', 'the device holds the most key packages it may', {
          reason: 'key-packages-full',
        });
      }
      if (StorageError.is(e, 'not-found'))
        throw new HttpError('unauthorized', 'a valid Parley device proof is required');
      throw e;
    }
    return c.body(null, 204);
  });

  api.get('/accounts/self/key-packages/counts', auth, async (c) => {
    const caller = c.var.caller;
    const counts = await deps.keyPackages.counts(caller.account, caller.device);
    if (counts === null) throw new HttpError('unauthorized', 'a valid Parley device proof is required');
    return c.json(counts);
  });

  api.get('/accounts/:account/key-packages', async (c) => {
    let account: ReturnType<typeof parseAccountId>;
    try {
      account = parseAccountId(c.req.param('account'));
    } catch {
      throw new HttpError('not-found', 'no key packages for that account');
    }
    const requester = requesterOf(c);
    const wait = perRequester.take(requester);
    if (wait > 0) {
      deps.metrics?.limited.inc({ limit: 'key-packages' });
      c.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
      throw new HttpError('rate-limited', 'too many key package requests; retry later');
    }
    // As for bundles: the account's one-time budget is spent only by requesters within their own.
    const oneTime = oneTimePerRequester.take(`${requester} ${account}`) === 0 && oneTimePerTarget.take(account) === 0;
    const taken = await deps.keyPackages.take(account, { oneTime });
    if (taken.length === 0) throw new HttpError('not-found', 'no key packages for that account');
    for (const k of taken) deps.metrics?.keyPackagesServed.inc({ kind: k.lastResort ? 'last-resort' : 'one-time' });
    const keyPackages: WireDeviceKeyPackage[] = taken.map((k) => ({
      deviceId: k.deviceId,
      keyPackage: toB64url(k.keyPackage),
      lastResort: k.lastResort,
    }));
    return c.json({ keyPackages });
  });

  return api;
}
