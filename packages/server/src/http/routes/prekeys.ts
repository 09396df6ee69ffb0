/**
 * The prekey directory (issue 3 §4): a device publishes its signed prekey, one-time X25519
 * prekeys and ML-KEM prekeys (one-time and a last-resort one); anyone may fetch a bundle of a
 * device. Every signature is checked against the account's identity before anything is stored.
 *
 * Bundle fetches are anonymous, so one-time keys can be drained by whoever asks often enough;
 * the budgets here only bound how fast (docs/server.md, "Bundle budgets", docs/threat-model.md §4.3):
 * - fetches per requester, all targets together: over it, 429 — a requester spends only its own;
 * - one-time keys per requester and target device, and per target device from all requesters:
 *   over either, the bundle is still served, with the signed prekey and the last-resort KEM key
 *   and no one-time key (PQXDH §3.3 allows that). A drainer thus never makes anyone else's fetch
 *   fail, and takes one-time keys no faster than the owner's prekey maintenance refills them
 *   (docs/client.md §5); every last-resort bundle is counted for the owner to see.
 * - A fetch presenting a prekey grant the device registered (`Parley-Prekey-Grant`, protocol
 *   prekey-grant.ts: the holder of an invitation link has one) gets one-time keys on the grant's
 *   own budget instead, so that invitees are served one-time keys while anonymous fetches are
 *   past theirs. An unknown or expired grant is an anonymous fetch.
 *
 *   PUT  /v1/devices/self/signed-prekey           {"id","publicKey","createdAt","signature"}
 *   POST /v1/devices/self/one-time-prekeys        {"keys":[{"id","publicKey"}…]}
 *   POST /v1/devices/self/kem-prekeys             {"keys":[{"id","publicKey","createdAt","signature"}…]}
 *   PUT  /v1/devices/self/last-resort-kem-prekey  {"id","publicKey","createdAt","signature"}
 *   GET  /v1/devices/self/prekey-counts           → {"oneTime","kem","lastResortServed"}
 *   POST /v1/devices/self/prekey-grants           {"grantHashes":[…],"expiresAt"}
 *   GET  /v1/accounts/:account/devices/:device/bundle [Parley-Prekey-Grant: <32 B>]
 *        → {"bundle": <encoded bundle, protocol §4.1>}
 */

import {
  type AccountId,
  type DeviceId,
  deviceId,
  encodeBundle,
  type KemPreKeyPublic,
  MAX_KEM_PREKEY_UPLOAD,
  MAX_ONE_TIME_PREKEY_UPLOAD,
  MAX_PREKEY_GRANTS_PER_REQUEST,
  MLKEM768_PUBLIC_KEY_BYTES,
  PREKEY_GRANT_BYTES,
  ProtocolError,
  parseAccountId,
  prekeyGrantHash,
  verifyKemPreKey,
  verifySignedPreKey,
} from '@parley/protocol';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../../api-deps.ts';
import { StorageError } from '../../storage/index.ts';
import { b64url, decodeB64url, toB64url } from '../../wire-json.ts';
import { type AuthEnv, requireDevice } from '../device-auth.ts';
import { HttpError } from '../http-error.ts';
import { RateLimiter } from '../rate-limit.ts';
import { readBody } from '../read-body.ts';
import { type RequesterOf, requesterKeyOf } from '../requester-key.ts';

/** The most one-time X25519 prekeys one request may upload. */
export const MAX_UPLOAD_KEYS = MAX_ONE_TIME_PREKEY_UPLOAD;
/** The most ML-KEM prekeys one request may upload: 50 × ~1.7 KB of JSON fits the body limit. */
export const MAX_KEM_UPLOAD_KEYS = MAX_KEM_PREKEY_UPLOAD;

const u32 = z.number().int().min(0).max(0xffffffff);
const timestamp = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const SignedPreKey = z.strictObject({ id: u32, publicKey: b64url(32), createdAt: timestamp, signature: b64url(64) });
const OneTimePreKey = z.strictObject({ id: u32, publicKey: b64url(32) });
const KemPreKey = z.strictObject({
  id: u32,
  publicKey: b64url(MLKEM768_PUBLIC_KEY_BYTES),
  createdAt: timestamp,
  signature: b64url(64),
});
const OneTimeUpload = z.strictObject({ keys: z.array(OneTimePreKey).min(1).max(MAX_UPLOAD_KEYS) });
const KemUpload = z.strictObject({ keys: z.array(KemPreKey).min(1).max(MAX_KEM_UPLOAD_KEYS) });
const GrantUpload = z.strictObject({
  grantHashes: z.array(b64url(PREKEY_GRANT_BYTES)).min(1).max(MAX_PREKEY_GRANTS_PER_REQUEST),
  expiresAt: timestamp,
});

/** The header a bundle fetch presents a prekey grant in. */
export const GRANT_HEADER = 'parley-prekey-grant';

export interface PreKeyRouteOptions {
  /** Bundle fetches per requester, all targets together; over it, 429 (default 60 a minute, bursts of 30). */
  readonly perRequester?: RateLimiter;
  /** Bundles with one-time keys per requester and target device (default 6 an hour, bursts of 3). */
  readonly oneTimePerRequester?: RateLimiter;
  /** Bundles with one-time keys per target device, all requesters together (default 20 an hour, bursts of 10). */
  readonly oneTimePerTarget?: RateLimiter;
  /** Bundles with one-time keys per prekey grant presented (default 6 an hour, bursts of 3). */
  readonly oneTimePerGrant?: RateLimiter;
  /** The requester's rate-limit key; default: the connection's remote address. */
  readonly requesterOf?: RequesterOf;
}

/** The longest a prekey grant is kept: a registration asking for more is cut to this. */
export const MAX_GRANT_TTL_MS = 30 * 24 * 3600_000;

/** The defaults of {@link PreKeyRouteOptions}, in tokens a minute and burst. */
export const BUNDLE_LIMITS = {
  perRequester: { perMinute: 60, burst: 30 },
  // An owner checks its counts every 10 minutes (docs/client.md §5) and refills ML-KEM keys below
  // 5 of 20: 10 + 20 × 10/60 ≈ 13 keys taken in that time leaves it above 5.
  oneTimePerRequester: { perMinute: 6 / 60, burst: 3 },
  oneTimePerTarget: { perMinute: 20 / 60, burst: 10 },
  oneTimePerGrant: { perMinute: 6 / 60, burst: 3 },
} as const;

/** A signature that does not verify is the client's fault. */
function verified(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (ProtocolError.is(e)) throw new HttpError('bad-request', 'a prekey signature does not verify');
    throw e;
  }
}

function duplicateIsConflict(e: unknown): never {
  if (StorageError.is(e, 'duplicate-prekey')) throw new HttpError('conflict', 'a prekey with that id exists');
  throw e;
}

export function prekeyRoutes(deps: ApiDeps, options: PreKeyRouteOptions = {}): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  const requesterOf = options.requesterOf ?? requesterKeyOf(deps);
  const perRequester = options.perRequester ?? new RateLimiter(BUNDLE_LIMITS.perRequester);
  const oneTimePerRequester = options.oneTimePerRequester ?? new RateLimiter(BUNDLE_LIMITS.oneTimePerRequester);
  const oneTimePerTarget = options.oneTimePerTarget ?? new RateLimiter(BUNDLE_LIMITS.oneTimePerTarget);
  const oneTimePerGrant = options.oneTimePerGrant ?? new RateLimiter(BUNDLE_LIMITS.oneTimePerGrant);
  const auth = requireDevice(deps);

  /** The caller's identity signing key, which must have signed every prekey it uploads. */
  async function signingKeyOf(caller: AuthEnv['Variables']['caller']): Promise<Uint8Array> {
    const account = await deps.accounts.getAccount(caller.account);
    if (account === null) throw new HttpError('unauthorized', 'a valid Parley device proof is required');
    return account.identity.signingKey;
  }

  api.put('/devices/self/signed-prekey', auth, async (c) => {
    const key = await readBody(c, SignedPreKey);
    const caller = c.var.caller;
    const signingKey = await signingKeyOf(caller);
    verified(() => verifySignedPreKey(deps.env, signingKey, key));
    await deps.prekeys.setSignedPreKey(caller.account, caller.device, key);
    return c.body(null, 204);
  });

  api.post('/devices/self/one-time-prekeys', auth, async (c) => {
    const { keys } = await readBody(c, OneTimeUpload);
    const caller = c.var.caller;
    await deps.prekeys.addOneTimePreKeys(caller.account, caller.device, keys).catch(duplicateIsConflict);
    return c.body(null, 204);
  });

  api.post('/devices/self/kem-prekeys', auth, async (c) => {
    const { keys } = await readBody(c, KemUpload);
    const caller = c.var.caller;
    const signingKey = await signingKeyOf(caller);
    const full: KemPreKeyPublic[] = keys.map((k) => ({ ...k, lastResort: false }));
    for (const k of full) verified(() => verifyKemPreKey(deps.env, signingKey, k));
    await deps.prekeys.addKemPreKeys(caller.account, caller.device, full).catch(duplicateIsConflict);
    return c.body(null, 204);
  });

  api.put('/devices/self/last-resort-kem-prekey', auth, async (c) => {
    const key = { ...(await readBody(c, KemPreKey)), lastResort: true };
    const caller = c.var.caller;
    const signingKey = await signingKeyOf(caller);
    verified(() => verifyKemPreKey(deps.env, signingKey, key));
    await deps.prekeys.setLastResortKemPreKey(caller.account, caller.device, key).catch(duplicateIsConflict);
    return c.body(null, 204);
  });

  api.get('/devices/self/prekey-counts', auth, async (c) => {
    const caller = c.var.caller;
    const counts = await deps.prekeys.counts(caller.account, caller.device);
    const lastResortServed = await deps.prekeys.lastResortServed(caller.account, caller.device);
    if (counts === null || lastResortServed === null) throw new HttpError('not-found', 'no such device');
    return c.json({ ...counts, lastResortServed });
  });

  api.post('/devices/self/prekey-grants', auth, async (c) => {
    const { grantHashes, expiresAt } = await readBody(c, GrantUpload);
    const caller = c.var.caller;
    const now = deps.env.now();
    const until = Math.min(expiresAt, now + MAX_GRANT_TTL_MS);
    if (until <= now) return c.body(null, 204); // expired already: nothing to keep
    try {
      await deps.prekeys.addPreKeyGrants(caller.account, caller.device, grantHashes, until, now);
    } catch (e) {
      if (StorageError.is(e, 'prekey-grants-full')) {
        throw new HttpError('rate-limited', 'the device holds the most prekey grants it may; retry later');
      }
      throw e;
    }
    return c.body(null, 204);
  });

  api.get('/accounts/:account/devices/:device/bundle', async (c) => {
    let target: { account: ReturnType<typeof parseAccountId>; device: ReturnType<typeof deviceId> };
    try {
      const d = c.req.param('device');
      if (!/^\d{1,10}$/.test(d)) throw new Error('device');
      target = { account: parseAccountId(c.req.param('account')), device: deviceId(Number(d)) };
    } catch {
      throw new HttpError('not-found', 'no such device');
    }
    const requester = requesterOf(c);
    const wait = perRequester.take(requester);
    if (wait > 0) {
      c.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new HttpError('rate-limited', 'too many bundle requests; retry later');
    }
    const grant = grantOf(c);
    const account = await deps.accounts.getAccount(target.account);
    const targetKey = `${target.account}.${target.device}`;
    const granted = account !== null && grant !== null ? await grantedBy(target, grant) : null;
    let oneTime: boolean;
    if (account === null) oneTime = false;
    else if (granted !== null) {
      // Keyed by the hash: the grant itself is not kept, even in memory.
      oneTime = oneTimePerGrant.take(`${targetKey} ${toB64url(granted)}`) === 0;
    } else {
      // The target's one-time budget is spent only by requesters within their own, so that one
      // requester takes at most its share; past either budget the bundle has no one-time keys.
      oneTime = oneTimePerRequester.take(`${requester} ${targetKey}`) === 0 && oneTimePerTarget.take(targetKey) === 0;
    }
    const keys =
      account === null ? null : await deps.prekeys.takeBundleKeys(target.account, target.device, { oneTime });
    if (account === null || keys === null) throw new HttpError('not-found', 'no bundle for that device');
    const bundle = encodeBundle({
      identity: account.identity,
      deviceId: target.device,
      signedPreKey: keys.signedPreKey,
      oneTimePreKey: keys.oneTimePreKey,
      kemPreKey: keys.kemPreKey,
    });
    return c.json({ bundle: toB64url(bundle) });
  });

  /** The grant's hash if the target device registered it and it is still valid, else `null`. */
  async function grantedBy(
    target: { account: AccountId; device: DeviceId },
    grant: Uint8Array,
  ): Promise<Uint8Array | null> {
    const hash = prekeyGrantHash(deps.env, grant);
    return (await deps.prekeys.hasPreKeyGrant(target.account, target.device, hash, deps.env.now())) ? hash : null;
  }

  return api;
}

/** The prekey grant a fetch presents, if any; a malformed one is refused. */
function grantOf(c: Context): Uint8Array | null {
  const header = c.req.header(GRANT_HEADER);
  if (header === undefined) return null;
  const grant = decodeB64url(header.trim(), PREKEY_GRANT_BYTES);
  if (grant === null)
    throw new HttpError('bad-request', `${GRANT_HEADER} must be ${PREKEY_GRANT_BYTES} bytes in base64url`);
  return grant;
}
