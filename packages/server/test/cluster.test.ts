/**
 * A cluster of three real `parley-server` processes on one PostgreSQL database and one NATS
 * (docs/server.md "A cluster"), each test with its own database and subject prefix: pushes
 * cross processes; `kill -9` of a process under a stream of deliveries loses no acknowledged
 * one and its client catches up on another; a process whose bus connection drops re-reads its
 * subscribed mailboxes when it comes back; a deleted mailbox is forgotten by every process's
 * cache; a challenge is single-use across processes; SIGTERM drains. Skipped, with the reason,
 * only when PostgreSQL or NATS is not reachable (CI has both).
 */
import {
  type ClusterDatabase,
  clusterServicesMissing,
  createClusterDatabase,
  NATS_URL,
  type ServerCluster,
  startCluster,
} from '@parley/testkit/cluster';
import { startServer } from '@parley/testkit/server-process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Box, newMailbox, remote } from './api-kit.ts';
import { deliverSomewhere, eventually, mailboxAccess, Owner, startBusProxy, stored } from './cluster-kit.ts';

const missing = await clusterServicesMissing();
if (missing !== null) console.warn(`cluster tests skipped: ${missing}`);

describe.skipIf(missing !== null)('a cluster of three processes on PostgreSQL + NATS', () => {
  let db: ClusterDatabase;
  let cluster: ServerCluster;
  let urls: string[];
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    db = await createClusterDatabase();
    cluster = await startCluster({ processes: 3, databaseUrl: db.url });
    urls = cluster.servers.map((s) => s.url);
  }, 60_000);

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await cluster.stop();
    await db.drop();
  }, 60_000);

  const ownerOn = async (url: string, box: Box) => {
    const owner = await Owner.connect(url, box);
    cleanups.push(async () => owner.close());
    return owner;
  };

  it('pushes a delivery accepted by one process to the owner subscribed on another, in seq order', async () => {
    const [p1, p2, p3] = urls as [string, string, string];
    const alice = await newMailbox(remote(p1)); // Alice reads on process 1
    const bob = await newMailbox(remote(p2)); // Bob reads on process 2
    const aliceOwner = await ownerOn(p1, alice);
    const bobOwner = await ownerOn(p2, bob);
    // Bob writes to Alice through processes 2 and 3, Alice to Bob through 3 and 1.
    for (let i = 0; i < 10; i++) {
      await deliverSomewhere([i % 2 === 0 ? p2 : p3], alice, `to alice ${i}`);
      await deliverSomewhere([i % 2 === 0 ? p3 : p1], bob, `to bob ${i}`);
    }
    await eventually(() => aliceOwner.pushed.length >= 10 && bobOwner.pushed.length >= 10, 'pushes');
    expect(aliceOwner.pushed.map((p) => p.text)).toEqual(Array.from({ length: 10 }, (_, i) => `to alice ${i}`));
    expect(bobOwner.pushed.map((p) => p.text)).toEqual(Array.from({ length: 10 }, (_, i) => `to bob ${i}`));
    const seqs = aliceOwner.pushed.map((p) => p.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, 60_000);

  it('pushes each message once, in order, while three processes write into one mailbox at once', async () => {
    const box = await newMailbox(remote(urls[0] as string));
    const owner = await ownerOn(urls[1] as string, box);
    const sends = Array.from({ length: 60 }, (_, i) => deliverSomewhere([urls[i % 3] as string], box, `m${i}`));
    await Promise.all(sends);
    await eventually(() => owner.pushed.length >= 60, 'all pushed');
    const seqs = owner.pushed.map((p) => p.seq);
    expect(new Set(seqs).size).toBe(60);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(owner.texts()).toEqual(new Set(Array.from({ length: 60 }, (_, i) => `m${i}`)));
  }, 60_000);

  it('kill -9 of a process under a stream of deliveries loses no acknowledged one; its client catches up elsewhere', async () => {
    const [p1, p2, p3] = urls as [string, string, string];
    const box = await newMailbox(remote(p2));
    const owner = await ownerOn(p1, box);
    const acknowledged = new Set<string>();
    let stop = false;
    // A stream of deliveries through all three processes, each retried elsewhere until acknowledged.
    const stream = (async () => {
      for (let i = 0; !stop; i++) {
        await deliverSomewhere([p1, p2, p3], box, `d${i}`, i % 3);
        acknowledged.add(`d${i}`);
      }
    })();
    await eventually(() => acknowledged.size >= 30, 'a stream under way');
    await cluster.servers[0]?.kill(); // SIGKILL: no drain
    await owner.closed;
    await eventually(() => acknowledged.size >= 60, 'deliveries go on without process 1');
    // The client reconnects, through the balancer, to another process, and catches up.
    const again = await ownerOn(p3, box);
    const reconnectedAt = acknowledged.size;
    await eventually(() => acknowledged.size >= reconnectedAt + 20, 'more deliveries after the reconnect');
    stop = true;
    await stream;
    await eventually(() => [...acknowledged].every((t) => again.texts().has(t)), 'every acknowledged delivery pushed');
    const stillStored = new Set((await stored(p2, box)).map((m) => m.text));
    for (const t of acknowledged) expect(stillStored.has(t)).toBe(true);
  }, 90_000);

  it('a process whose bus connection dropped re-reads its subscribed mailboxes when it comes back', async () => {
    const proxy = await startBusProxy(NATS_URL);
    cleanups.push(() => proxy.close());
    // A fourth process of the same cluster, reaching NATS through the proxy.
    const p4 = await startServer(['--database-url', db.url, '--bus', proxy.url, '--bus-prefix', cluster.prefix]);
    cleanups.push(() => p4.stop());
    const box = await newMailbox(remote(urls[0] as string));
    const owner = await ownerOn(p4.url, box);
    await deliverSomewhere([urls[0] as string], box, 'before');
    await eventually(() => owner.texts().has('before'), 'pushed across processes');

    proxy.cut();
    await eventually(async () => (await fetch(`${p4.url}/health/ready`)).status === 503, 'not ready without its bus');
    const ready = (await (await fetch(`${p4.url}/health/ready`)).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({ status: 'unavailable', database: 'ok', bus: 'unavailable', draining: false });
    for (let i = 0; i < 5; i++) await deliverSomewhere([urls[1] as string], box, `during ${i}`);
    // Nothing can tell process 4 of those now: the owner has none of them.
    expect([...owner.texts()].filter((t) => t.startsWith('during'))).toEqual([]);

    proxy.restore();
    await eventually(
      () => [0, 1, 2, 3, 4].every((i) => owner.texts().has(`during ${i}`)),
      'caught up after the bus came back',
    );
    await deliverSomewhere([urls[2] as string], box, 'after');
    await eventually(() => owner.texts().has('after'), 'pushes resume');
    // Nothing lost, nothing pushed twice.
    const texts = owner.pushed.map((p) => p.text);
    expect(texts).toEqual(['before', 'during 0', 'during 1', 'during 2', 'during 3', 'during 4', 'after']);
    expect((await fetch(`${p4.url}/health/ready`)).status).toBe(200);
  }, 90_000);

  it('a mailbox deleted through one process is forgotten by the others’ caches', async () => {
    const [p1, p2] = urls as [string, string];
    const box = await newMailbox(remote(p1));
    // Process 2 caches the mailbox's record (a delivery looks it up).
    await deliverSomewhere([p2], box, 'cached');
    const path = `/v1/mailboxes/${box.id}`;
    const res = await fetch(p1 + path, {
      method: 'DELETE',
      headers: { authorization: await mailboxAccess(p1, box, { method: 'DELETE', path }) },
    });
    expect(res.status).toBe(204);
    // A subscription proof checked against a stale cached key would still be accepted on process 2.
    const owner = new Owner(p2);
    cleanups.push(async () => owner.close());
    await new Promise((r) => owner.ws.once('open', r));
    await eventually(
      async () => (await owner.subscribe(box)).type === 'error',
      'process 2 refuses the deleted mailbox',
    );
    const refused = await owner.subscribe(box);
    expect(refused).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
  }, 60_000);

  it('a challenge answered on two processes at once is accepted by exactly one', async () => {
    const [p1, p2, p3] = urls as [string, string, string];
    const box = await newMailbox(remote(p1));
    const path = `/v1/mailboxes/${box.id}/messages`;
    for (let round = 0; round < 10; round++) {
      // Issued by process 3; the same proof presented to processes 1 and 2 together.
      const authorization = await mailboxAccess(p3, box, { method: 'GET', path });
      const statuses = await Promise.all([p1, p2].map((u) => fetch(u + path, { headers: { authorization } })));
      expect(statuses.map((r) => r.status).sort()).toEqual([200, 401]);
    }
  }, 60_000);

  it('answers /health/live and /health/ready with the database and the bus', async () => {
    const live = await fetch(`${urls[0]}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${urls[0]}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', database: 'ok', bus: 'ok', draining: false });
  });

  it('SIGTERM drains: sockets closed with 1012, every acknowledged write kept, exit 0', async () => {
    const [p1, p2, p3] = urls as [string, string, string];
    const box = await newMailbox(remote(p2));
    const owner = await ownerOn(p1, box);
    // A writer sending over a WebSocket of process 1 as fast as it is answered.
    const writer = await ownerOn(p1, await newMailbox(remote(p2)));
    const { signDelivery, defaultEnv, utf8 } = await import('@parley/protocol');
    const { toB64url } = await import('../src/wire-json.ts');
    const acknowledged = new Set<string>();
    const writing = (async () => {
      for (let i = 0; i < 10_000; i++) {
        const envelope = utf8(`w${i}`);
        const answer = writer
          .request({
            type: 'send',
            mailbox: box.id,
            envelope: toB64url(envelope),
            signature: toB64url(signDelivery(defaultEnv, box.sender.privateKey, box.idBytes, envelope)),
          })
          .then((f) => f.type === 'sent' && acknowledged.add(`w${i}`));
        const closed = writer.closed.then(() => false);
        if (!(await Promise.race([answer, closed]))) return;
      }
    })();
    await eventually(() => acknowledged.size >= 20, 'writes under way');
    const code = await cluster.servers[0]?.stop();
    expect(code).toBe(0);
    expect(await owner.closed).toBe(1012);
    expect(await writer.closed).toBe(1012);
    await writing;
    // Every send answered `sent` is stored: read it through another process.
    const kept = new Set((await stored(p3, box)).map((m) => m.text));
    for (const t of acknowledged) expect(kept.has(t)).toBe(true);
    // The client reconnects to another process and gets them all.
    const again = await ownerOn(p2, box);
    await eventually(() => [...acknowledged].every((t) => again.texts().has(t)), 'caught up on process 2');
  }, 60_000);
});
