/**
 * Group pushes across the processes of a cluster (docs/server.md "A cluster", "Groups"): two
 * servers in this process, each with its own PostgreSQL pool on one database and its own
 * connection to an in-process bus. A member subscribed on one process is pushed the entries
 * posted through the other, in order, once each — the bus notice carries the group id and the
 * seq only, and the subscriber reads the database — and commits raced through both processes
 * leave one per epoch.
 */
import { defaultEnv as env, proveGroupAccess, socketOperation } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LocalBusHub } from '../src/bus/local-bus.ts';
import { createServer, serverApi } from '../src/create-server.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { type Database, openDatabase } from '../src/storage/index.ts';
import { toB64url } from '../src/wire-json.ts';
import { remote } from './api-kit.ts';
import { eventually } from './cluster-kit.ts';
import { newGroup, postApplication, postCommit, type WriteKey } from './group-kit.ts';
import { createTestDatabase, type TestDatabase } from './postgres-kit.ts';

let pg: TestDatabase;
const databases: Database[] = [];
const closers: (() => Promise<void>)[] = [];
const urls: string[] = [];

beforeAll(async () => {
  pg = await createTestDatabase();
  const hub = new LocalBusHub();
  for (let i = 0; i < 2; i++) {
    const database = await openDatabase(pg.url);
    databases.push(database);
    const metrics = createMetrics();
    const api = serverApi(database, { metrics, env, cluster: { bus: hub.connect(), prefix: 'parley' } });
    const server = createServer({ version: 'test', metrics, log: createLogger({ level: 'silent' }), database, api });
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    urls.push(`http://127.0.0.1:${port}`);
    closers.push(() => server.close());
  }
});
afterAll(async () => {
  for (const close of closers) await close();
  for (const d of databases) await d.close();
  await pg?.drop();
});

describe('groups in a cluster', () => {
  it('pushes entries posted through one process to a member subscribed on the other, once each, in order', async () => {
    const [a, b] = urls.map(remote) as [ReturnType<typeof remote>, ReturnType<typeof remote>];
    const g = await newGroup(a);
    const ws = new WebSocket(`${(urls[0] as string).replace('http', 'ws')}/v1/ws`);
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'challenge', id: 1 }));
    await eventually(() => frames.some((f) => f.type === 'challenge'), 'a challenge');
    const challenge = new Uint8Array(
      Buffer.from(frames.find((f) => f.type === 'challenge')?.challenge as string, 'base64url'),
    );
    const proof = proveGroupAccess(
      env,
      (g.keys[0] as WriteKey).privateKey,
      g.id,
      0,
      challenge,
      socketOperation('subscribe-group'),
    );
    ws.send(
      JSON.stringify({
        type: 'subscribe-group',
        id: 2,
        group: g.idText,
        epoch: 0,
        challenge: toB64url(challenge),
        proof: toB64url(proof),
      }),
    );
    await eventually(() => frames.some((f) => f.type === 'group-subscribed'), 'the subscription');
    for (let i = 1; i <= 10; i++) {
      const through = i % 2 === 0 ? a : b;
      expect((await postApplication(through, g, 0, new Uint8Array(8).fill(i))).status).toBe(201);
    }
    const pushed = () => frames.filter((f) => f.type === 'group-message').map((f) => f.seq);
    await eventually(() => pushed().length >= 10, 'ten pushes');
    expect(pushed()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    ws.close();
  });

  it('keeps one commit per epoch when the commits come through both processes at once', async () => {
    const [a, b] = urls.map(remote) as [ReturnType<typeof remote>, ReturnType<typeof remote>];
    const g = await newGroup(a);
    for (let epoch = 0; epoch < 3; epoch++) {
      const results = await Promise.all([a, b, a, b].map((through) => postCommit(through, g, epoch)));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    }
  });
});
