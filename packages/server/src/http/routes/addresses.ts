/**
 * Contact addresses and contact requests (issue 3 §6; Liphium's stored actions). A device
 * publishes a long-lived, revocable address that names no owner (an owner key, protocol §3.7);
 * anyone may leave an encrypted contact request there. Requests without a token are rate-limited
 * per requester and address, and per requester over all addresses, so that one requester spends
 * only its own budget and cannot lock others out of an address (docs/server.md, "Contact addresses"); a per-address
 * budget, larger, bounds what many requesters together can leave. A request that presents a
 * per-contact token the owner registered (the server keeps only its SHA-256) bypasses the limits.
 * The owner lists, deletes and revokes.
 *
 *   POST /v1/addresses                       (device proof) {"ownerKey"} → 201 {"addressId"}
 *   POST /v1/addresses/{id}/requests         {"request", "token"?} → 201 {"seq"} (200 if stored)
 *   GET  /v1/addresses/{id}/requests?after=&limit=  (owner proof) → {"requests":[…]}
 *   POST /v1/addresses/{id}/requests/delete  (owner proof) {"seqs"} → {"deleted"}
 *   POST /v1/addresses/{id}/tokens           (owner proof) {"tokenHashes"} → 204
 *   POST /v1/addresses/{id}/tokens/remove    (owner proof) {"tokenHashes"} → {"removed"}
 *   DELETE /v1/addresses/{id}                (owner proof) → 204: revoked, with its requests and tokens
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_CONTACT_REQUEST_BYTES,
  MAX_PAGE_LIMIT,
  MAX_SEQS_PER_REQUEST,
  MAX_TOKEN_HASHES_PER_REQUEST,
} from '@parley/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../../api-deps.ts';
import { idKey } from '../../id-key.ts';
import { addressOwnership } from '../../mailboxes/owner-proof.ts';
import { StorageError } from '../../storage/index.ts';
import { b64url, toB64url } from '../../wire-json.ts';
import { type AuthEnv, requireDevice } from '../device-auth.ts';
import { HttpError } from '../http-error.ts';
import { type OwnedEnv, objectIdOf, requireOwner } from '../owner-auth.ts';
import { RateLimiter } from '../rate-limit.ts';
import { readBody } from '../read-body.ts';
import { type RequesterOf, requesterKeyOf } from '../requester-key.ts';

/** The largest contact request (an initial message plus an introduction, encrypted). */
export const MAX_REQUEST_BYTES = MAX_CONTACT_REQUEST_BYTES;
/** Unanswered requests are deleted after 30 days. */
export const REQUEST_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** The most pending requests one address holds. */
export const MAX_PENDING_REQUESTS = 1000;

const CreateBody = z.strictObject({ ownerKey: b64url(32) });
const RequestBody = z.strictObject({
  request: b64url().refine((b) => b.length >= 1, 'request must not be empty'),
  token: b64url(32).optional(),
});
const SeqsBody = z.strictObject({ seqs: z.array(z.number().int().min(1)).min(1).max(MAX_SEQS_PER_REQUEST) });
const TokensBody = z.strictObject({ tokenHashes: z.array(b64url(32)).min(1).max(MAX_TOKEN_HASHES_PER_REQUEST) });
const ListQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
});

export interface AddressRouteOptions {
  /** Requests without a valid token, per requester and address (default 5 a minute, bursts of 10). */
  readonly perRequesterAddress?: RateLimiter;
  /** Requests without a valid token, per requester over all addresses (default 30 a minute, bursts of 30). */
  readonly perRequester?: RateLimiter;
  /** Requests without a valid token, per address from all requesters (default 60 a minute, bursts of 120). */
  readonly perAddress?: RateLimiter;
  /** The requester's rate-limit key; default: the connection's remote address. */
  readonly requesterOf?: RequesterOf;
}

/** The defaults of {@link AddressRouteOptions}. */
export const REQUEST_LIMITS = {
  perRequesterAddress: { perMinute: 5, burst: 10 },
  perRequester: { perMinute: 30, burst: 30 },
  perAddress: { perMinute: 60, burst: 120 },
} as const;

type AddressEnv = AuthEnv & OwnedEnv;

export function addressRoutes(deps: ApiDeps, options: AddressRouteOptions = {}): Hono<AddressEnv> {
  const api = new Hono<AddressEnv>();
  const { addresses } = deps;
  const perRequesterAddress = options.perRequesterAddress ?? new RateLimiter(REQUEST_LIMITS.perRequesterAddress);
  const perRequester = options.perRequester ?? new RateLimiter(REQUEST_LIMITS.perRequester);
  const perAddress = options.perAddress ?? new RateLimiter(REQUEST_LIMITS.perAddress);
  const requesterOf = options.requesterOf ?? requesterKeyOf(deps);
  const owner = requireOwner<AddressEnv>(deps.env, 'Parley-Address', addressOwnership(deps));

  api.post('/addresses', requireDevice(deps), async (c) => {
    const { ownerKey } = await readBody(c, CreateBody);
    // The device proof keeps anonymous abuse out; nothing links the address to the device.
    const { addressId } = await addresses.createAddress(ownerKey);
    return c.json({ addressId: toB64url(addressId) }, 201);
  });

  api.post('/addresses/:id/requests', async (c) => {
    const id = objectIdOf(c);
    const { request, token } = await readBody(c, RequestBody);
    if (request.length > MAX_REQUEST_BYTES) throw new HttpError('too-large', 'request larger than 32 KiB');
    const trusted = token !== undefined && (await addresses.hasToken(id, createHash('sha256').update(token).digest()));
    if (!trusted) {
      // Narrowest first: a wider bucket is spent only by requests the narrower ones allowed.
      const requester = requesterOf(c);
      let wait = perRequesterAddress.take(`${requester} ${idKey(id)}`);
      if (wait === 0) wait = perRequester.take(requester);
      if (wait === 0) wait = perAddress.take(idKey(id));
      if (wait > 0) {
        c.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new HttpError('rate-limited', 'too many requests to this address; retry later');
      }
    }
    try {
      const { seq, duplicate } = await addresses.addRequest(id, request, {
        ttlMs: REQUEST_TTL_MS,
        maxRequests: MAX_PENDING_REQUESTS,
      });
      return c.json({ seq }, duplicate ? 200 : 201);
    } catch (e) {
      if (StorageError.is(e, 'not-found')) throw new HttpError('not-found', 'no such address');
      if (StorageError.is(e, 'address-full')) throw new HttpError('rate-limited', 'the address is full; retry later');
      throw e;
    }
  });

  api.get('/addresses/:id/requests', owner, async (c) => {
    const q = ListQuery.safeParse(c.req.query());
    if (!q.success)
      throw new HttpError('bad-request', `after and limit must be integers (limit 1 to ${MAX_PAGE_LIMIT})`);
    const list = await addresses.listRequests(c.var.objectId, {
      limit: q.data.limit,
      ...(q.data.after === undefined ? {} : { afterSeq: q.data.after }),
    });
    return c.json({
      requests: list.map((r) => ({ seq: r.seq, request: toB64url(r.body), receivedAt: r.receivedAt })),
    });
  });

  api.post('/addresses/:id/requests/delete', owner, async (c) => {
    const { seqs } = await readBody(c, SeqsBody);
    return c.json({ deleted: await addresses.deleteRequests(c.var.objectId, seqs) });
  });

  api.post('/addresses/:id/tokens', owner, async (c) => {
    const { tokenHashes } = await readBody(c, TokensBody);
    await addresses.addTokens(c.var.objectId, tokenHashes);
    return c.body(null, 204);
  });

  api.post('/addresses/:id/tokens/remove', owner, async (c) => {
    const { tokenHashes } = await readBody(c, TokensBody);
    return c.json({ removed: await addresses.removeTokens(c.var.objectId, tokenHashes) });
  });

  api.delete('/addresses/:id', owner, async (c) => {
    await addresses.revokeAddress(c.var.objectId);
    return c.body(null, 204);
  });

  return api;
}
