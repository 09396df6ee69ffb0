/**
 * Group logs over HTTP (issue 20; docs/server.md "Groups"), on SQLite and again on PostgreSQL (the
 * server-postgres project): creating a group, posting with the current epoch's write key (one
 * commit per epoch, under concurrency), reading one epoch with its key, retention and rejoin,
 * proofs bound to one group, epoch, request and body, and a hostile client.
 */
import { MAX_BODY_BYTES, MAX_GROUP_MESSAGE_BYTES } from '@parley/protocol';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.ts';
import { DEFAULT_QUOTAS, Quotas } from '../src/http/quotas.ts';
import { RateLimiter } from '../src/http/rate-limit.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { SqlGroupStore } from '../src/storage/index.ts';
import { toB64url } from '../src/wire-json.ts';
import { authorization, registered, type TestServer, testServer } from './api-kit.ts';
import {
  applicationBody,
  asMember,
  groupAuthorization,
  newGroup,
  postApplication,
  postCommit,
  readGroup,
  type TestGroup,
  writeKey,
} from './group-kit.ts';

let server: TestServer;
let app: Hono;
beforeAll(async () => {
  server = await testServer();
  app = server.app();
});
afterAll(async () => {
  await server.close();
});

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
type Entry = { seq: number; epoch: number; kind: string; message: string; nextWriteKey?: string; receivedAt: number };
const entries = async (res: Response) => ((await res.json()) as { messages: Entry[] }).messages;

function appWith(api: Partial<typeof server.deps>, extra: Parameters<typeof createApp>[0]['groupOptions'] = {}) {
  return createApp({
    version: 'test',
    metrics: createMetrics(),
    log: createLogger({ level: 'silent' }),
    api: { ...server.deps, ...api },
    checkDatabase: async () => true,
    groupOptions: extra,
  });
}

describe('creating a group', () => {
  it('takes a device proof, the group id and the epoch-0 write key, once per id', async () => {
    const g = await newGroup(app);
    const by = await registered(app);
    const body = JSON.stringify({ groupId: g.idText, writeKey: toB64url(writeKey().publicKey) });
    const again = await app.request('/v1/groups', {
      method: 'POST',
      headers: {
        authorization: await authorization(app, by, { method: 'POST', path: '/v1/groups', body }),
        'content-type': 'application/json',
      },
      body,
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'conflict' }, reason: 'group-exists' });
    // The first write key still rules the group.
    expect((await postApplication(app, g, 0, bytes(10))).status).toBe(201);
  });

  it('refuses an anonymous creation and malformed bodies', async () => {
    const anon = await app.request('/v1/groups', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ groupId: toB64url(bytes(16)), writeKey: toB64url(bytes(32)) }),
    });
    expect(anon.status).toBe(401);
    const by = await registered(app);
    for (const body of [
      JSON.stringify({ groupId: toB64url(bytes(15)), writeKey: toB64url(bytes(32)) }),
      JSON.stringify({ groupId: toB64url(bytes(16)) }),
      JSON.stringify({ groupId: toB64url(bytes(16)), writeKey: toB64url(bytes(32)), epoch: 3 }),
      JSON.stringify({ groupId: `${toB64url(bytes(16))}=`, writeKey: toB64url(bytes(32)) }),
      'not json',
    ]) {
      const res = await app.request('/v1/groups', {
        method: 'POST',
        headers: {
          authorization: await authorization(app, by, { method: 'POST', path: '/v1/groups', body }),
          'content-type': 'application/json',
        },
        body,
      });
      expect(res.status, body).toBe(400);
    }
  });

  it('limits creations per account (a quota kept in memory)', async () => {
    const off = { perMinute: 1e9, burst: Number.POSITIVE_INFINITY };
    const quotas = new Quotas({
      ...DEFAULT_QUOTAS,
      challengesPerSource: off,
      requestsPerAccount: off,
      groupsPerAccount: { perMinute: 1 / 60, burst: 2 },
    });
    const limited = appWith({ quotas });
    const by = await registered(limited);
    await newGroup(limited, by);
    await newGroup(limited, by);
    const body = JSON.stringify({ groupId: toB64url(bytes(16, 9)), writeKey: toB64url(bytes(32)) });
    const third = await limited.request('/v1/groups', {
      method: 'POST',
      headers: {
        authorization: await authorization(limited, by, { method: 'POST', path: '/v1/groups', body }),
        'content-type': 'application/json',
      },
      body,
    });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account is not limited by it.
    await newGroup(limited);
  });
});

describe('posting', () => {
  it('stores application messages with per-group seqs; a commit moves the epoch and the next key rules', async () => {
    const g = await newGroup(app);
    const first = await postApplication(app, g, 0, bytes(100));
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ seq: 1, epoch: 0 });
    const commit = await postCommit(app, g, 0);
    expect(commit.status).toBe(201);
    expect(await commit.json()).toEqual({ seq: 2, epoch: 1 });
    const stale = await postApplication(app, g, 0, bytes(10));
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ error: { code: 'conflict' }, reason: 'stale-epoch', epoch: 1 });
    expect(await (await postApplication(app, g, 1, bytes(10))).json()).toEqual({ seq: 3, epoch: 1 });
  });

  it('accepts exactly one of many commits racing for one epoch; the others learn the epoch they lost to', async () => {
    const g = await newGroup(app);
    const results = await Promise.all(Array.from({ length: 8 }, () => postCommit(app, g, 0)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(await r.json()).toMatchObject({ reason: 'stale-epoch', epoch: 1 });
    }
    const epoch0 = await entries(await readGroup(app, g, 0));
    expect(epoch0.filter((e) => e.kind === 'commit')).toHaveLength(1);
    // The loser retries on the new epoch, with the key the winner registered.
    expect((await postCommit(app, g, 1)).status).toBe(201);
  });

  it('refuses malformed, empty and oversized messages', async () => {
    const g = await newGroup(app);
    const path = `/v1/groups/${g.idText}/messages`;
    const key = g.keys[0] as ReturnType<typeof writeKey>;
    for (const body of [
      JSON.stringify({ kind: 'application', message: '' }),
      JSON.stringify({ kind: 'welcome', message: toB64url(bytes(5)) }),
      JSON.stringify({ kind: 'commit', message: toB64url(bytes(5)) }),
      JSON.stringify({ kind: 'application', message: toB64url(bytes(5)), nextWriteKey: toB64url(bytes(32)) }),
      JSON.stringify({ kind: 'commit', message: toB64url(bytes(5)), nextWriteKey: toB64url(bytes(31)) }),
      JSON.stringify([1, 2]),
      '{',
    ]) {
      const res = await asMember(app, g.id, 0, key, { method: 'POST', path, body });
      expect(res.status, body).toBe(400);
    }
    const large = await postApplication(app, g, 0, bytes(MAX_GROUP_MESSAGE_BYTES + 1));
    expect(large.status).toBe(413);
    const huge = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
      body: 'x'.repeat(MAX_BODY_BYTES + 1),
    });
    expect(huge.status).toBe(413);
    expect((await postApplication(app, g, 0, bytes(MAX_GROUP_MESSAGE_BYTES))).status).toBe(201);
    // Nothing refused was stored.
    expect((await entries(await readGroup(app, g, 0))).map((e) => e.seq)).toEqual([1]);
  });

  it('limits posts per group, spent only by valid proofs', async () => {
    const limited = appWith({}, { postsPerGroup: new RateLimiter({ perMinute: 1 / 60, burst: 3 }) });
    const g = await newGroup(limited);
    const other = await newGroup(limited);
    // Proofs that fail cost the group nothing.
    for (let i = 0; i < 5; i++) expect((await postApplication(limited, g, 0, bytes(5), writeKey())).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await postApplication(limited, g, 0, bytes(5))).status).toBe(201);
    const over = await postApplication(limited, g, 0, bytes(5));
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await postApplication(limited, other, 0, bytes(5))).status).toBe(201);
  });
});

describe('proofs', () => {
  let g: TestGroup;
  let h: TestGroup;
  beforeAll(async () => {
    g = await newGroup(app);
    h = await newGroup(app);
  });

  /** Sends `body` to `path` with a header made for `made`. */
  async function sendWith(header: string, method: 'GET' | 'POST', path: string, body?: string) {
    return app.request(path, {
      method,
      headers: { authorization: header, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
  }

  it('binds a proof to its body, request, group and epoch; a refused one does not spend its challenge', async () => {
    const path = `/v1/groups/${g.idText}/messages`;
    const body = applicationBody(bytes(20, 1));
    const key = g.keys[0] as ReturnType<typeof writeKey>;
    const header = await groupAuthorization(app, g.id, 0, key, { method: 'POST', path, body });
    // Another body, a read, another group: refused.
    expect((await sendWith(header, 'POST', path, applicationBody(bytes(20, 2)))).status).toBe(401);
    expect((await sendWith(header, 'GET', path)).status).toBe(401);
    expect((await sendWith(header, 'POST', `/v1/groups/${h.idText}/messages`, body)).status).toBe(401);
    // The same signature claimed for another epoch: refused.
    expect((await sendWith(header.replace('epoch=0', 'epoch=1'), 'POST', path, body)).status).toBe(401);
    // The request it was made for still goes through, once.
    expect((await sendWith(header, 'POST', path, body)).status).toBe(201);
    expect((await sendWith(header, 'POST', path, body)).status).toBe(401);
  });

  it('refuses another key, an unknown group, a malformed id and malformed headers alike (401)', async () => {
    const path = `/v1/groups/${g.idText}/messages`;
    expect((await postApplication(app, g, 0, bytes(5), writeKey())).status).toBe(401);
    const unknown = { ...g, id: bytes(16, 3), idText: toB64url(bytes(16, 3)) };
    expect((await postApplication(app, unknown, 0, bytes(5))).status).toBe(401);
    for (const id of ['short', `${g.idText}A`, 'x'.repeat(300)]) {
      const res = await sendWith(
        await groupAuthorization(app, g.id, 0, g.keys[0] as ReturnType<typeof writeKey>, { method: 'GET', path }),
        'GET',
        `/v1/groups/${id}/messages`,
      );
      expect(res.status, id).toBe(401);
    }
    const valid = await groupAuthorization(app, g.id, 0, g.keys[0] as ReturnType<typeof writeKey>, {
      method: 'GET',
      path,
    });
    for (const header of [
      '',
      'Parley-Group',
      valid.replace('epoch=0', 'epoch=00'),
      valid.replace('epoch=0', 'epoch=-1'),
      valid.replace('epoch=0', 'epoch=99999999999999999'),
      valid.replace('Parley-Group', 'Parley-Mailbox'),
      `${valid}, extra=1`,
    ]) {
      expect((await sendWith(header, 'GET', path)).status, header).toBe(401);
    }
    expect((await sendWith(valid, 'GET', path)).status).toBe(200);
  });
});

describe('a hostile client', () => {
  it('gets a 4xx, never a 5xx, for any body, query or header, and changes nothing', async () => {
    const g = await newGroup(app);
    const path = `/v1/groups/${g.idText}/messages`;
    const key = g.keys[0] as ReturnType<typeof writeKey>;
    const json = fc.jsonValue().map((v) => JSON.stringify(v));
    const shaped = fc
      .record({
        kind: fc.constantFrom('application', 'commit', 'welcome', ''),
        message: fc.oneof(
          fc.string(),
          fc.uint8Array({ maxLength: 40 }).map((b) => toB64url(b)),
        ),
        nextWriteKey: fc.option(
          fc
            .uint8Array({ minLength: 30, maxLength: 34 })
            .filter((b) => b.length !== 32)
            .map((b) => toB64url(b)),
          {
            nil: undefined,
          },
        ),
      })
      .map((r) => JSON.stringify(r))
      // A well-formed application message would be stored (a commit cannot be: no key is 32 bytes —
      // a 32-byte next write key with any message is a commit the server accepts, it cannot check MLS).
      .filter((t) => !/^\{"kind":"application","message":"[A-Za-z0-9_-]+"\}$/.test(t));
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, shaped, fc.string()), async (body) => {
        const res = await asMember(app, g.id, 0, key, { method: 'POST', path, body });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), async (query) => {
        const target = `${path}?${encodeURIComponent(query).replace(/%3D/g, '=').replace(/%26/g, '&')}`;
        const res = await asMember(app, g.id, 0, key, { method: 'GET', path: target });
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (header) => {
        const res = await app.request(path, { headers: { authorization: header } });
        expect(res.status).toBe(401);
      }),
      { numRuns: 60 },
    );
    expect(await entries(await readGroup(app, g, 0))).toEqual([]);
  }, 120_000);
});

describe('metrics', () => {
  it('count group posts by kind and result, pushes and groups, and name no group', async () => {
    const g = await newGroup(app);
    await postApplication(app, g, 0, bytes(5));
    await postCommit(app, g, 0);
    await postApplication(app, g, 0, bytes(5));
    const text = await (await app.request('/metrics')).text();
    expect(text).toMatch(/parley_group_posts_total\{kind="application",result="stored"\} [1-9]/);
    expect(text).toMatch(/parley_group_posts_total\{kind="commit",result="stored"\} [1-9]/);
    expect(text).toMatch(/parley_group_posts_total\{kind="application",result="stale-epoch"\} [1-9]/);
    expect(text).toMatch(/parley_groups [1-9]/);
    expect(text).not.toContain(g.idText);
  });
});

describe('reading', () => {
  it('gives a key its own epoch only: the epoch’s messages and the commit closing it, with the next key', async () => {
    const g = await newGroup(app);
    await postApplication(app, g, 0, bytes(10, 1));
    const next = writeKey();
    await postCommit(app, g, 0, next);
    await postApplication(app, g, 1, bytes(10, 2));
    await postApplication(app, g, 1, bytes(10, 3));
    const epoch0 = await entries(await readGroup(app, g, 0));
    expect(epoch0.map((e) => [e.seq, e.epoch, e.kind])).toEqual([
      [1, 0, 'application'],
      [2, 0, 'commit'],
    ]);
    expect(epoch0[0]?.message).toBe(toB64url(bytes(10, 1)));
    expect(epoch0[0]?.nextWriteKey).toBeUndefined();
    expect(epoch0[1]?.nextWriteKey).toBe(toB64url(next.publicKey));
    expect((await entries(await readGroup(app, g, 1))).map((e) => e.seq)).toEqual([3, 4]);
    expect((await entries(await readGroup(app, g, 1, '?after=3'))).map((e) => e.seq)).toEqual([4]);
    expect((await entries(await readGroup(app, g, 1, '?limit=1'))).map((e) => e.seq)).toEqual([3]);
    // A member removed by the commit holds only epoch 0's key: it cannot read epoch 1.
    expect((await readGroup(app, g, 1, '', g.keys[0])).status).toBe(401);
  });

  it('refuses bad queries', async () => {
    const g = await newGroup(app);
    for (const q of ['?limit=0', '?limit=1001', '?after=-1', '?after=x', '?after=1.5', '?since=3']) {
      expect((await readGroup(app, g, 0, q)).status, q).toBe(400);
    }
  });

  it('says rejoin (410) when what the reader needs next was deleted by retention', async () => {
    const retention = { ttlMs: 3600_000, maxEntries: 5, maxBytes: 1_000_000, idleMs: 7200_000 };
    const small = appWith({ groups: new SqlGroupStore(server.database, { retention }) });
    const g = await newGroup(small);
    for (let i = 0; i < 6; i++) await postApplication(small, g, 0, bytes(8, i));
    // 6 > 5: down to 4 kept (90%), seqs 1 and 2 went.
    const gone = await readGroup(small, g, 0, '?after=1');
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ error: { code: 'gone' }, reason: 'rejoin' });
    expect((await readGroup(small, g, 0)).status).toBe(410);
    expect((await entries(await readGroup(small, g, 0, '?after=2'))).map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    // Epoch 1 begins after the commit (seq 7): its reader needs nothing deleted.
    await postCommit(small, g, 0);
    await postApplication(small, g, 1, bytes(8));
    expect((await entries(await readGroup(small, g, 1))).map((e) => e.seq)).toEqual([8]);
    for (let i = 0; i < 4; i++) await postApplication(small, g, 1, bytes(8, i));
    // Seqs up to 8 went: a reader that had seq 8 goes on, one that had not must rejoin.
    expect((await entries(await readGroup(small, g, 1, '?after=8'))).map((e) => e.seq)).toEqual([9, 10, 11, 12]);
    expect((await readGroup(small, g, 1)).status).toBe(410);
    // Epoch 0's entries are all gone, and its key with them: its holder must rejoin.
    const old = await readGroup(small, g, 0, '?after=7');
    expect(old.status).toBe(410);
    expect(await old.json()).toMatchObject({ reason: 'rejoin' });
  });
});
