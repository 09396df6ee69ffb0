/**
 * Group logs over HTTP (issue 20; docs/server.md "Groups"; the wire contract's groups.ts). The
 * server is the groups' Delivery Service: it orders each log and stores its entries once, and
 * knows no member — a group proof by an epoch's write key (groups/group-access.ts) is all that
 * authorises a post or a read.
 *
 *   POST /v1/groups                             device proof   {"groupId","writeKey"}  → 201 {"epoch":0}
 *   POST /v1/groups/:id/messages                group proof, the current epoch
 *        {"kind":"application","message"} | {"kind":"commit","message","nextWriteKey"}
 *        → 201 {"seq","epoch"}; 409 {"reason":"stale-epoch","epoch"}
 *   GET  /v1/groups/:id/messages?after=&limit=  group proof, any epoch kept: that epoch's entries
 *        → {"messages":[{"seq","epoch","kind","message","nextWriteKey"?,"receivedAt"}…]}; 410 {"reason":"rejoin"}
 *
 *   Authorization: Parley-Group epoch=<n>, challenge=<32 B>, proof=<64 B>
 *
 * A key reads only its own epoch's entries — the application messages of that epoch and the
 * commit that closed it, whose `nextWriteKey` the reader checks against the key it derives for
 * the next epoch — so a member removed by the commit closing epoch E can read nothing after it,
 * not even sizes and times, while a member offline for many epochs catches up one epoch at a time.
 */
import {
  DEFAULT_PAGE_LIMIT,
  GROUP_AUTH_SCHEME,
  GROUP_ID_BYTES,
  MAX_GROUP_MESSAGE_BYTES,
  MAX_GROUP_PAGE_LIMIT,
} from '@parley/protocol';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../../api-deps.ts';
import { DomainError } from '../../domain-error.ts';
import { mustRejoin, type ProvedGroupAccess, proveGroupAccess } from '../../groups/group-access.ts';
import { wireEntry } from '../../groups/wire-entry.ts';
import { StorageError } from '../../storage/index.ts';
import { b64url, decodeB64url, toB64url } from '../../wire-json.ts';
import { type AuthEnv, requireDevice } from '../device-auth.ts';
import { HttpError } from '../http-error.ts';
import { type RateLimit, RateLimiter } from '../rate-limit.ts';
import { readBody } from '../read-body.ts';
import { requestOperation } from '../request-operation.ts';

const message = b64url().refine((b) => b.length >= 1, 'message must not be empty');
const CreateBody = z.strictObject({ groupId: b64url(GROUP_ID_BYTES), writeKey: b64url(32) });
const PostBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('application'), message }),
  z.strictObject({ kind: z.literal('commit'), message, nextWriteKey: b64url(32) }),
]);
const ReadQuery = z.strictObject({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_GROUP_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
});

const HEADER = new RegExp(
  `^${GROUP_AUTH_SCHEME}\\s+epoch=(0|[1-9][0-9]{0,15}),\\s*challenge=([A-Za-z0-9_-]{43}),\\s*proof=([A-Za-z0-9_-]{86})$`,
);

export interface GroupRouteOptions {
  /** Posts per group, all members together, per process (default 600 a minute, bursts of 300). */
  readonly postsPerGroup?: RateLimiter;
}

/** The default of {@link GroupRouteOptions.postsPerGroup}: a lively group of many members stays under it. */
export const GROUP_POST_LIMIT: RateLimit = { perMinute: 600, burst: 300 };

type GroupEnv = AuthEnv & { Variables: { group: { id: Uint8Array; epoch: number; access: ProvedGroupAccess } } };

/** The group id in the path, or 401: like an unknown group, so that a prober learns nothing. */
function groupIdOf(c: Context): Uint8Array {
  const id = decodeB64url(c.req.param('id') ?? '', GROUP_ID_BYTES);
  if (id === null) throw new HttpError('unauthorized', 'a valid group proof is required');
  return id;
}

export function groupRoutes(deps: ApiDeps, options: GroupRouteOptions = {}): Hono<GroupEnv> {
  const api = new Hono<GroupEnv>();
  const postsPerGroup = options.postsPerGroup ?? new RateLimiter(GROUP_POST_LIMIT);

  /** Middleware: a group proof for `:id`, bound to this request (docs/server.md "Groups"). */
  const member: MiddlewareHandler<GroupEnv> = async (c, next) => {
    const id = groupIdOf(c);
    const m = HEADER.exec(c.req.header('authorization') ?? '');
    const challenge = m?.[2] === undefined ? null : decodeB64url(m[2], 32);
    const proof = m?.[3] === undefined ? null : decodeB64url(m[3], 64);
    const epoch = Number(m?.[1]);
    if (challenge === null || proof === null || !Number.isSafeInteger(epoch)) {
      throw new HttpError('unauthorized', 'a valid group proof is required');
    }
    const operation = await requestOperation(deps.env, c);
    if (operation === null) throw new HttpError('unauthorized', 'a valid group proof is required');
    const access = await proveGroupAccess(deps, { groupId: id, epoch, challenge, proof }, operation).catch((e) => {
      throw DomainError.is(e, 'rejoin') ? rejoin() : e;
    });
    c.set('group', { id, epoch, access });
    await next();
  };

  api.post('/groups', requireDevice(deps), async (c) => {
    const { groupId, writeKey } = await readBody(c, CreateBody);
    // A rate per account, kept in memory: the group itself names no account (http/quotas.ts).
    deps.quotas?.take(c, 'groups', c.var.caller.account);
    try {
      await deps.groups.createGroup(groupId, writeKey, deps.env.now());
    } catch (e) {
      if (StorageError.is(e, 'group-exists')) {
        throw new HttpError('conflict', 'a group with that id exists', { reason: 'group-exists' });
      }
      throw e;
    }
    return c.json({ epoch: 0 }, 201);
  });

  api.post('/groups/:id/messages', member, async (c) => {
    const body = await readBody(c, PostBody);
    // As an envelope over the mailbox limit: 413.
    if (body.message.length > MAX_GROUP_MESSAGE_BYTES) {
      throw new HttpError('too-large', `a group message is at most ${MAX_GROUP_MESSAGE_BYTES} bytes`);
    }
    const { id, epoch } = c.var.group;
    // Spent only by valid proofs: someone who knows the id but holds no key cannot use it up.
    const wait = postsPerGroup.take(toB64url(id));
    if (wait > 0) {
      deps.metrics?.limited.inc({ limit: 'group-posts' });
      c.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
      throw new HttpError('rate-limited', 'too many posts to this group; retry later');
    }
    const now = deps.env.now();
    const result = await deps.groups.post(id, epoch, body, now).catch((e: unknown) => {
      // Deleted (idle) between its proof and its post: as an unknown group.
      if (StorageError.is(e, 'not-found')) throw new HttpError('unauthorized', 'a valid group proof is required');
      throw e;
    });
    deps.metrics?.groupPosts.inc({ kind: body.kind, result: result.ok ? 'stored' : 'stale-epoch' });
    if (!result.ok) {
      throw new HttpError('conflict', 'the group has moved to another epoch', {
        reason: 'stale-epoch',
        epoch: result.epoch,
      });
    }
    deps.groupEvents.notify(id, {
      seq: result.seq,
      epoch,
      kind: body.kind,
      message: body.message,
      nextWriteKey: body.kind === 'commit' ? body.nextWriteKey : null,
      receivedAt: now,
    });
    return c.json({ seq: result.seq, epoch: result.epoch }, 201);
  });

  api.get('/groups/:id/messages', member, async (c) => {
    const q = ReadQuery.safeParse(c.req.query());
    if (!q.success)
      throw new HttpError('bad-request', `after and limit must be integers (limit 1 to ${MAX_GROUP_PAGE_LIMIT})`);
    const { id, epoch, access } = c.var.group;
    const after = q.data.after ?? 0;
    if (mustRejoin(access, after)) throw rejoin();
    const entries = await deps.groups.read(id, epoch, after, q.data.limit);
    await deps.groups.touch(id, deps.env.now());
    return c.json({ messages: entries.map(wireEntry) });
  });

  return api;
}

function rejoin(): HttpError {
  return new HttpError('gone', 'what comes next is no longer kept: rejoin the group', { reason: 'rejoin' });
}
