/**
 * `npm run bench:server -- --processes 1,2,3`: the server as a cluster (docs/server.md "A
 * cluster") beside the single process, in one run: SQLite (one process, no bus), PostgreSQL (one
 * process, no bus), then PostgreSQL + NATS with each N given. Clients are spread over the
 * processes round-robin and client i sends to client i+1's mailbox, so with N > 1 every message
 * is accepted by one process and pushed by another. For each setting: throughput at full speed,
 * p99 at half that load, and CPU per message of the server processes, of PostgreSQL and of NATS,
 * from /proc. The bus's share is NATS's CPU plus what the server processes spend more than
 * without a bus at N = 1 (publishing, and reading each push back from the database).
 *
 * Two cores shared with the load generator cannot show scaling: the CPU per message and the
 * bus's share are the figures that carry to a bigger machine (docs/benchmarks.md).
 */

import {
  encodeAckFrame,
  encodeSendFrame,
  defaultEnv as env,
  proveMailboxAccess,
  proveSendingRight,
  SocketFrameType,
  socketOperation,
} from '@parley/protocol';
import {
  type ClusterDatabase,
  clusterServicesMissing,
  createClusterDatabase,
  freshBusPrefix,
  NATS_URL,
} from '@parley/testkit/cluster';
import type { ServerProcess } from '@parley/testkit/server-process';
import WebSocket from 'ws';
import { type BenchMailbox, createMailboxes } from './bench-mailboxes.ts';
import { parseCounts, percentile, round1 } from './measure.ts';
import { cpuMsNamed, cpuMsOf, startBenchServer } from './processes.ts';

const ENVELOPE_BYTES = 100;
const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');

interface Setting {
  readonly name: string;
  readonly processes: number;
  readonly postgres: boolean;
  readonly bus: boolean;
}

interface Peer {
  readonly ws: WebSocket;
  readonly pending: Map<number, (ok: boolean, frame?: Record<string, unknown>) => void>;
  nextId: number;
}

function connect(url: string, onPush: (peer: Peer, m: Buffer) => void): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`);
    const peer: Peer = { ws, pending: new Map(), nextId: 1 };
    ws.on('open', () => resolve(peer));
    ws.on('error', reject);
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary && data[0] === SocketFrameType.message) return onPush(peer, data);
      if (isBinary && data[0] === SocketFrameType.sent) {
        const id = data.readUInt32BE(1);
        peer.pending.get(id)?.(true);
        peer.pending.delete(id);
        return;
      }
      if (isBinary) return;
      const f = JSON.parse(data.toString()) as Record<string, unknown>;
      if (typeof f.id !== 'number') return;
      peer.pending.get(f.id)?.(f.type !== 'error', f);
      peer.pending.delete(f.id);
    });
  });
}

function request(peer: Peer, frame: Record<string, unknown> | Buffer): Promise<Record<string, unknown> | undefined> {
  const id = peer.nextId++;
  return new Promise((resolve, reject) => {
    peer.pending.set(id, (ok, f) => (ok ? resolve(f) : reject(new Error(`refused: ${JSON.stringify(f)}`))));
    if (Buffer.isBuffer(frame)) {
      frame.writeUInt32BE(id, 1);
      peer.ws.send(frame);
    } else peer.ws.send(JSON.stringify({ ...frame, id }));
  });
}

async function prove(
  peer: Peer,
  type: 'subscribe' | 'authorize',
  box: BenchMailbox,
  sign: (c: Uint8Array) => Uint8Array,
): Promise<void> {
  const c = new Uint8Array(Buffer.from(String((await request(peer, { type: 'challenge' }))?.challenge), 'base64url'));
  const push = type === 'subscribe' ? { push: 'binary' } : {};
  await request(peer, { type, mailbox: b64(box.id), challenge: b64(c), proof: b64(sign(c)), ...push });
}

interface Round {
  readonly msgsPerS: number;
  readonly latencies: number[];
  /** CPU ms over the round: the server processes, PostgreSQL, NATS. */
  readonly serverMs: number;
  readonly postgresMs: number;
  readonly natsMs: number;
}

async function runSetting(s: Setting, clients: number, messages: number, rounds: number) {
  let db: ClusterDatabase | undefined;
  const servers: ServerProcess[] = [];
  const prefix = freshBusPrefix();
  try {
    if (s.postgres) db = await createClusterDatabase();
    for (let p = 0; p < s.processes; p++) {
      const args = db ? ['--database-url', db.url, ...(s.bus ? ['--bus', NATS_URL, '--bus-prefix', prefix] : [])] : [];
      servers.push(await startBenchServer([], {}, args));
    }
    const urls = servers.map((x) => x.url);
    const boxes = await createMailboxes(urls[0] as string, clients);
    let sentAt = new Float64Array(0);
    let perClient = 0;
    const state = { count: 0, expected: 0, latencies: [] as number[], done: () => {} };
    const ack = Buffer.from(encodeAckFrame({ id: 0, mailbox: new Uint8Array(16), seqs: [1] }));
    const onPush = (peer: Peer, m: Buffer) => {
      m.copy(ack, 5, 1, 17);
      m.copy(ack, 23, 17, 25);
      peer.ws.send(ack);
      const at = sentAt[m.readUInt32BE(33) * perClient + m.readUInt32BE(37)];
      if (at !== undefined && at > 0) state.latencies.push(performance.now() - at);
      if (++state.count === state.expected) state.done();
    };
    const peers: Peer[] = [];
    for (let i = 0; i < clients; i += 100) {
      const batch = Array.from({ length: Math.min(100, clients - i) }, (_, j) =>
        connect(urls[(i + j) % urls.length] as string, onPush),
      );
      peers.push(...(await Promise.all(batch)));
    }
    await Promise.all(
      peers.map(async (peer, i) => {
        const own = boxes[i] as BenchMailbox;
        const target = boxes[(i + 1) % clients] as BenchMailbox;
        await prove(peer, 'subscribe', own, (c) =>
          proveMailboxAccess(env, own.recipient, own.id, c, socketOperation('subscribe')),
        );
        await prove(peer, 'authorize', target, (c) =>
          proveSendingRight(env, target.sender, target.id, c, socketOperation('authorize')),
        );
      }),
    );
    const pids = servers.map((x) => x.process.pid as number);
    const round = async (ratePerSecond: number, tag: string): Promise<Round> => {
      perClient = messages;
      sentAt = new Float64Array(clients * messages);
      state.count = 0;
      state.expected = clients * messages;
      state.latencies = [];
      const allDone = new Promise<void>((resolve) => {
        state.done = resolve;
      });
      const frames = peers.map((_, i) => {
        const target = boxes[(i + 1) % clients] as BenchMailbox;
        return Array.from({ length: messages }, (_, k) => {
          const envelope = Buffer.alloc(ENVELOPE_BYTES);
          envelope.writeUInt32BE(i, 0);
          envelope.writeUInt32BE(k, 4);
          envelope.write(tag, 8);
          return Buffer.from(encodeSendFrame({ id: 0, mailbox: target.id, signature: undefined, envelope }));
        });
      });
      const server0 = pids.reduce((a, pid) => a + cpuMsOf(pid), 0);
      const pg0 = cpuMsNamed('postgres');
      const nats0 = cpuMsNamed('nats-server');
      const start = performance.now();
      const interval = Number.isFinite(ratePerSecond) ? (1000 * clients) / ratePerSecond : 0;
      await Promise.all(
        peers.map(async (peer, i) => {
          for (let k = 0; k < messages; k++) {
            if (interval > 0) {
              const wait = start + (i / clients) * interval + k * interval - performance.now();
              if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            }
            sentAt[i * messages + k] = performance.now();
            await request(peer, frames[i]?.[k] as Buffer);
          }
        }),
      );
      if (state.count < state.expected) {
        let timer: NodeJS.Timeout | undefined;
        const stalled = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${s.name}: pushes stalled at ${state.count} of ${state.expected}`)),
            30_000,
          );
        });
        await Promise.race([allDone, stalled]).finally(() => clearTimeout(timer));
      }
      const seconds = (performance.now() - start) / 1000;
      return {
        msgsPerS: state.expected / seconds,
        latencies: state.latencies,
        serverMs: pids.reduce((a, pid) => a + cpuMsOf(pid), 0) - server0,
        postgresMs: cpuMsNamed('postgres') - pg0,
        natsMs: cpuMsNamed('nats-server') - nats0,
      };
    };
    await round(Number.POSITIVE_INFINITY, 'warm');
    const peak: Round[] = [];
    for (let r = 0; r < rounds; r++) peak.push(await round(Number.POSITIVE_INFINITY, `peak${r}`));
    const rate = median(peak.map((r) => r.msgsPerS));
    const half: Round[] = [];
    for (let r = 0; r < rounds; r++) half.push(await round(rate / 2, `half${r}`));
    for (const p of peers) p.ws.terminate();
    const total = clients * messages * rounds;
    const us = (f: (r: Round) => number) => Math.round((peak.reduce((a, r) => a + f(r), 0) * 1000) / total);
    const halfLat = half.flatMap((r) => r.latencies).sort((a, b) => a - b);
    return {
      setting: s.name,
      msgs_per_s: Math.round(rate),
      half_load_p99_ms: round1(percentile(halfLat, 99)),
      server_cpu_us_per_msg: us((r) => r.serverMs),
      postgres_cpu_us_per_msg: s.postgres ? us((r) => r.postgresMs) : 0,
      nats_cpu_us_per_msg: s.bus ? us((r) => r.natsMs) : 0,
      rounds: peak.map((r) => Math.round(r.msgsPerS)),
    };
  } finally {
    await Promise.all(servers.map((x) => x.stop().catch(() => null)));
    await db?.drop().catch(() => undefined);
  }
}

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** Every setting together: past this the run stops (a stalled push, a hung process). */
const HARD_LIMIT_MS = 30 * 60 * 1000;

export async function clusterBench(argv: readonly string[]): Promise<void> {
  setTimeout(() => {
    console.error('cluster benchmark: time limit reached, stopping');
    process.exit(3);
  }, HARD_LIMIT_MS).unref();
  const at = argv.indexOf('--processes');
  const list = String(argv[at + 1] ?? '');
  if (!/^\d+(,\d+)*$/.test(list)) throw new Error('--processes takes N or a list such as 1,2,3');
  const ns = list.split(',').map(Number);
  const rest = argv.filter((_, i) => i !== at && i !== at + 1);
  const { clients, messages, rounds } = parseCounts<'clients' | 'messages' | 'rounds'>(rest, {
    clients: 200,
    messages: 20,
    rounds: 3,
  });
  const missing = await clusterServicesMissing();
  if (missing !== null) throw new Error(`the cluster benchmark needs PostgreSQL and NATS: ${missing}`);
  const settings: Setting[] = [
    { name: 'sqlite, 1 process', processes: 1, postgres: false, bus: false },
    { name: 'postgres, 1 process, no bus', processes: 1, postgres: true, bus: false },
    ...ns.map((n) => ({
      name: `postgres + nats, ${n} process${n > 1 ? 'es' : ''}`,
      processes: n,
      postgres: true,
      bus: true,
    })),
  ];
  console.error(
    `cluster benchmark: ${clients} clients × ${messages} messages of ${ENVELOPE_BYTES} bytes (binary frames, one sending proof per connection), ${rounds} rounds at full speed then ${rounds} at half that rate, per setting`,
  );
  const results = [];
  for (const s of settings) {
    const r = await runSetting(s, clients, messages, rounds);
    results.push(r);
    console.error(
      `${r.setting}: ${r.msgs_per_s} msgs/s, half-load p99 ${r.half_load_p99_ms} ms; CPU a message: server ${r.server_cpu_us_per_msg} µs, PostgreSQL ${r.postgres_cpu_us_per_msg} µs, NATS ${r.nats_cpu_us_per_msg} µs`,
    );
  }
  const noBus = results[1];
  const withBus = results.map((r, i) => {
    if (i < 2 || noBus === undefined) return r;
    const extra = Math.max(0, r.server_cpu_us_per_msg - noBus.server_cpu_us_per_msg);
    const all = r.server_cpu_us_per_msg + r.postgres_cpu_us_per_msg + r.nats_cpu_us_per_msg;
    return { ...r, bus_share: Math.round(((r.nats_cpu_us_per_msg + extra) / all) * 1000) / 1000 };
  });
  for (const r of withBus)
    if ('bus_share' in r)
      console.error(
        `${r.setting}: bus share of all CPU a message ${(r.bus_share * 100).toFixed(1)}% (NATS + server CPU beyond the no-bus process)`,
      );
  console.log(JSON.stringify({ clients, messages, rounds, results: withBus }));
}
