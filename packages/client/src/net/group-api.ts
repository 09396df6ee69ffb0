/**
 * `GroupApi`: the home server's group delivery service and key-package directory (docs/server.md
 * "Groups", "Key packages"; the wire contract's groups.ts) as typed calls. The server keeps one
 * log per group and knows no member list: posts and reads carry a group proof by an epoch's
 * **write key** (protocol group-proof.ts) — derived by the members from the MLS exporter, which is
 * the group engine's business, not this transport's — over a fresh challenge and this very
 * request (§3.5.1). Creating a group and publishing key packages take the device's proof, as the
 * account calls of ServerApi do (request-proof.ts builds both).
 *
 * Expected refusals are results, not errors: a post that lost its epoch to another commit is
 * `{status:'stale-epoch', epoch}` (process the log up to that epoch, then retry), and a read of
 * what retention deleted, or a post with an epoch's key the server no longer keeps, is
 * `{status:'rejoin'}`. Everything else that fails is a `ClientError`.
 *
 * @example
 * ```ts
 * const groups = new GroupApi('https://parley.example');
 * await groups.createGroup(auth, groupId, writeKey0.publicKey);
 * const r = await groups.post(groupId, { epoch: 0, privateKey: writeKey0.privateKey }, { kind: 'application', message });
 * if (r.status === 'stale-epoch') catchUp(r.epoch);
 * ```
 */
import {
  type AccountId,
  DEFAULT_PAGE_LIMIT,
  type DeviceId,
  defaultEnv,
  deviceId,
  encodeWireBytes,
  GROUP_AUTH_SCHEME,
  GROUP_ID_BYTES,
  type GroupEntryKind,
  type JsonSubscribeGroupFrame,
  MAX_KEY_PACKAGE_UPLOAD,
  type ProtocolEnv,
  proveGroupAccess,
  socketOperation,
  WIRE_ERROR_STATUS,
} from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../codec/base64url.ts';
import { ClientError } from '../errors.ts';
import { type HttpRequest, HttpTransport, parseAnswer } from './http.ts';
import { challengeProof, deviceAuthorization, fetchChallenge, operationOf } from './request-proof.ts';
import { DEFAULT_TIMEOUT_MS, type ServerApiOptions } from './server-api.ts';
import type { DeviceAuth } from './server-api-types.ts';
import { malformedAnswer, serverError, signing } from './server-errors.ts';
import { normalizeServerUrl, originOf } from './server-url.ts';

/** An epoch's write key pair, as the group engine derives it (only the private half is used here). */
export interface GroupWriteKey {
  readonly epoch: number;
  readonly privateKey: Uint8Array;
}

/** What a post adds to a group's log. */
export type GroupPost =
  | { readonly kind: 'application'; readonly message: Uint8Array }
  /** `nextWritePublicKey`: the write key of the epoch this commit starts. */
  | { readonly kind: 'commit'; readonly message: Uint8Array; readonly nextWritePublicKey: Uint8Array };

export type GroupPostResult =
  | { readonly status: 'posted'; readonly seq: number; readonly epoch: number }
  /** Another commit moved the group on: `epoch` is its current epoch. */
  | { readonly status: 'stale-epoch'; readonly epoch: number }
  /** The key's epoch is older than anything the server keeps: be added again. */
  | { readonly status: 'rejoin' };

export interface GroupEntry {
  readonly seq: number;
  readonly epoch: number;
  readonly kind: GroupEntryKind;
  readonly message: Uint8Array;
  /** Commits only: the write key registered for `epoch + 1` — compare it with the one you derive. */
  readonly nextWriteKey: Uint8Array | null;
  readonly receivedAt: number;
}

export type GroupReadResult =
  | { readonly status: 'ok'; readonly entries: readonly GroupEntry[] }
  /** What comes next for this reader was deleted by the server's retention: be added again. */
  | { readonly status: 'rejoin' };

export interface KeyPackageCounts {
  readonly oneTime: number;
  readonly lastResort: boolean;
  /** Fetches served the last-resort key package (ever): a rise means someone drains them. */
  readonly lastResortServed: number;
}

export interface DeviceKeyPackage {
  readonly deviceId: DeviceId;
  readonly keyPackage: Uint8Array;
  readonly lastResort: boolean;
}

const seq = z.number().int().min(1);
const epoch = z.number().int().min(0);
const count = z.number().int().min(0);
const Created = z.object({ epoch: z.literal(0) });
const Posted = z.object({ seq, epoch });
const Stale = z.object({ reason: z.literal('stale-epoch'), epoch });
const Entry = z
  .object({
    seq,
    epoch,
    kind: z.enum(['application', 'commit']),
    message: b64url(),
    nextWriteKey: b64url(32).optional(),
    receivedAt: count,
  })
  .refine((e) => (e.kind === 'commit') === (e.nextWriteKey !== undefined), 'a commit, and only a commit, names a key');
const Entries = z.object({ messages: z.array(Entry) });
const Counts = z.object({ oneTime: count, lastResort: z.boolean(), lastResortServed: count });
const KeyPackages = z.object({
  keyPackages: z.array(
    z.object({ deviceId: z.number().int().min(1).max(0xffffffff), keyPackage: b64url(), lastResort: z.boolean() }),
  ),
});
const Reason = z.object({ reason: z.string().max(64) });

/** What the SDK's group flows use of {@link GroupApi}. */
export type GroupApiLike = Pick<
  GroupApi,
  'createGroup' | 'post' | 'read' | 'uploadKeyPackages' | 'keyPackageCounts' | 'fetchKeyPackages'
>;

export class GroupApi {
  readonly url: string;
  private readonly env: ProtocolEnv;
  private readonly http: HttpTransport;

  constructor(url: string, options: ServerApiOptions = {}) {
    this.url = normalizeServerUrl(url);
    this.env = options.env ?? defaultEnv;
    const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.http = new HttpTransport(this.url, originOf(this.url), fetchImpl, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  /**
   * Creates the group's log at epoch 0 with its write key. A group id taken already is
   * `server-error` 409 with `serverCode` `group-exists`; past the account's quota, `rate-limited`.
   */
  async createGroup(auth: DeviceAuth, groupId: Uint8Array, writePublicKey: Uint8Array): Promise<void> {
    checkLength(groupId, GROUP_ID_BYTES);
    checkLength(writePublicKey, 32);
    const answer = await this.asDevice(auth, {
      method: 'POST',
      path: '/v1/groups',
      body: { groupId: encodeWireBytes(groupId), writeKey: encodeWireBytes(writePublicKey) },
      ok: [201, WIRE_ERROR_STATUS.conflict],
    });
    if (answer.status === WIRE_ERROR_STATUS.conflict) throw conflict(answer.json);
    parseAnswer(Created, answer);
  }

  /** Posts an application message or a commit with the current epoch's write key. */
  async post(groupId: Uint8Array, key: GroupWriteKey, post: GroupPost): Promise<GroupPostResult> {
    const body =
      post.kind === 'application'
        ? { kind: 'application', message: encodeWireBytes(post.message) }
        : {
            kind: 'commit',
            message: encodeWireBytes(post.message),
            nextWriteKey: encodeWireBytes(checkLength(post.nextWritePublicKey, 32)),
          };
    const answer = await this.asMember(groupId, key, {
      method: 'POST',
      path: `/v1/groups/${encodeWireBytes(groupId)}/messages`,
      body,
      ok: [201, WIRE_ERROR_STATUS.conflict, WIRE_ERROR_STATUS.gone],
    });
    if (answer.status === WIRE_ERROR_STATUS.gone) return { status: 'rejoin' };
    if (answer.status === WIRE_ERROR_STATUS.conflict) {
      const stale = Stale.safeParse(answer.json);
      if (!stale.success) throw conflict(answer.json);
      return { status: 'stale-epoch', epoch: stale.data.epoch };
    }
    const { seq: s, epoch: e } = parseAnswer(Posted, answer);
    return { status: 'posted', seq: s, epoch: e };
  }

  /**
   * The entries of `key`'s epoch after seq `after` (default: from the epoch's first), in order, at
   * most `limit`: that epoch's application messages and the commit that closed it, if any. Read
   * on with the next epoch's key after processing the commit.
   */
  async read(
    groupId: Uint8Array,
    key: GroupWriteKey,
    options: { readonly after?: number; readonly limit?: number } = {},
  ): Promise<GroupReadResult> {
    const q = new URLSearchParams();
    if (options.after !== undefined) q.set('after', String(options.after));
    q.set('limit', String(options.limit ?? DEFAULT_PAGE_LIMIT));
    const answer = await this.asMember(groupId, key, {
      method: 'GET',
      path: `/v1/groups/${encodeWireBytes(groupId)}/messages?${q}`,
      ok: [200, WIRE_ERROR_STATUS.gone],
    });
    if (answer.status === WIRE_ERROR_STATUS.gone) return { status: 'rejoin' };
    const { messages } = parseAnswer(Entries, answer);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      // A server that answers another epoch's entries, or out of order, is not to be believed.
      if (m === undefined || m.epoch !== key.epoch || (i > 0 && m.seq <= (messages[i - 1]?.seq ?? 0)))
        throw malformedAnswer(answer.status);
      if (options.after !== undefined && m.seq <= options.after) throw malformedAnswer(answer.status);
    }
    return {
      status: 'ok',
      entries: messages.map((m) => ({
        seq: m.seq,
        epoch: m.epoch,
        kind: m.kind,
        message: m.message,
        nextWriteKey: m.nextWriteKey ?? null,
        receivedAt: m.receivedAt,
      })),
    };
  }

  /**
   * The WebSocket frame that subscribes to `key`'s epoch of the group over `challenge` (asked for
   * on the same connection): its proof is bound to the `subscribe-group` frame.
   */
  subscribeFrame(
    id: number,
    groupId: Uint8Array,
    key: GroupWriteKey,
    challenge: Uint8Array,
    after?: number,
  ): JsonSubscribeGroupFrame {
    const proof = signing(() =>
      proveGroupAccess(this.env, key.privateKey, groupId, key.epoch, challenge, socketOperation('subscribe-group')),
    );
    return {
      type: 'subscribe-group',
      id,
      group: encodeWireBytes(groupId),
      epoch: key.epoch,
      ...(after === undefined ? {} : { after }),
      challenge: encodeWireBytes(challenge),
      proof: encodeWireBytes(proof),
    };
  }

  /**
   * Publishes key packages of this device: one-time ones (in chunks the server accepts) and, if
   * given, a new last-resort one. A device holding the most one-time ones the server keeps is
   * `server-error` 409 `key-packages-full`.
   */
  async uploadKeyPackages(
    auth: DeviceAuth,
    packages: { readonly oneTime: readonly Uint8Array[]; readonly lastResort?: Uint8Array },
  ): Promise<void> {
    const chunks: Uint8Array[][] = [];
    for (let i = 0; i < packages.oneTime.length; i += MAX_KEY_PACKAGE_UPLOAD)
      chunks.push(packages.oneTime.slice(i, i + MAX_KEY_PACKAGE_UPLOAD));
    if (chunks.length === 0) chunks.push([]);
    for (const [i, chunk] of chunks.entries()) {
      const last = i === 0 ? packages.lastResort : undefined;
      if (chunk.length === 0 && last === undefined) continue;
      const answer = await this.asDevice(auth, {
        method: 'PUT',
        path: '/v1/accounts/self/key-packages',
        body: {
          oneTime: chunk.map(encodeWireBytes),
          ...(last === undefined ? {} : { lastResort: encodeWireBytes(last) }),
        },
        ok: [204, WIRE_ERROR_STATUS.conflict],
      });
      if (answer.status === WIRE_ERROR_STATUS.conflict) throw conflict(answer.json);
    }
  }

  /** This device's key packages on the server, for refilling. */
  async keyPackageCounts(auth: DeviceAuth): Promise<KeyPackageCounts> {
    const answer = await this.asDevice(auth, {
      method: 'GET',
      path: '/v1/accounts/self/key-packages/counts',
      ok: [200],
    });
    return parseAnswer(Counts, answer);
  }

  /**
   * One key package for each device of the account (none: an empty list). No proof: the adder
   * may be on another server. Check each one's signature and credential before using it.
   */
  async fetchKeyPackages(account: AccountId): Promise<DeviceKeyPackage[]> {
    const answer = await this.http.request({
      method: 'GET',
      path: `/v1/accounts/${account}/key-packages`,
      ok: [200, WIRE_ERROR_STATUS['not-found']],
    });
    if (answer.status === WIRE_ERROR_STATUS['not-found']) return [];
    return parseAnswer(KeyPackages, answer).keyPackages.map((k) => ({
      deviceId: deviceId(k.deviceId),
      keyPackage: k.keyPackage,
      lastResort: k.lastResort,
    }));
  }

  private async asDevice(auth: DeviceAuth, r: HttpRequest) {
    const challenge = await fetchChallenge(this.http);
    return this.http.request({ ...r, authorization: deviceAuthorization(this.env, auth, challenge, r) });
  }

  /** A request as a member: `Authorization: Parley-Group epoch=…, challenge=…, proof=…`. */
  private async asMember(groupId: Uint8Array, key: GroupWriteKey, r: HttpRequest) {
    checkLength(groupId, GROUP_ID_BYTES);
    if (!Number.isSafeInteger(key.epoch) || key.epoch < 0) throw new ClientError('usage', 'Malformed epoch.');
    const challenge = await fetchChallenge(this.http);
    const op = operationOf(this.env, r);
    const proof = signing(() => proveGroupAccess(this.env, key.privateKey, groupId, key.epoch, challenge, op));
    const authorization = `${GROUP_AUTH_SCHEME} epoch=${key.epoch}, ${challengeProof(challenge, proof)}`;
    return this.http.request({ ...r, authorization });
  }
}

function checkLength(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length !== length) throw new ClientError('usage', 'A key or id passed to the network layer is malformed.');
  return bytes;
}

/** A 409 of a group or key-package route: `server-error` whose `serverCode` is the answer's reason. */
function conflict(json: unknown): ClientError {
  const parsed = Reason.safeParse(json);
  const known = parsed.success && ['group-exists', 'key-packages-full'].includes(parsed.data.reason);
  if (!known) return serverError(WIRE_ERROR_STATUS.conflict, 'conflict');
  return new ClientError(
    'server-error',
    parsed.data.reason === 'group-exists'
      ? 'A group with that id exists on the server already.'
      : 'This device has the most key packages the server keeps.',
    { status: WIRE_ERROR_STATUS.conflict, serverCode: parsed.data.reason, refusal: 'conflict' },
  );
}
