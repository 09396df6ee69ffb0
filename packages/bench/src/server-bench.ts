import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import {
  decodeServerFrame,
  encodeAckFrame,
  encodeSendFrame,
  defaultEnv as env,
  proveMailboxAccess,
  proveSendingRight,
  Reader,
  SocketFrameType,
  signDelivery,
  socketOperation,
} from '@parley/protocol';
import { launcherFlags, SERVER_BIN, type ServerProcess } from '@parley/testkit/server-process';
import WebSocket from 'ws';
import { createMailboxes } from './bench-mailboxes.ts';
import { parseCounts, percentile, round1 } from './measure.ts';
import { cpuMsOf, spawnUntil, startBenchServer } from './processes.ts';

const argv = process.argv.slice(2);
if (argv.includes('--processes')) {
  // The cluster beside the single process (cluster-bench.ts): a run of its own.
  const { clusterBench } = await import('./cluster-bench.ts');
  await clusterBench(argv);
  process.exit(0);
}
const signed = argv.includes('--signed');
/** JSON frames instead of the binary ones. */
const json = argv.includes('--json');
const HARD_LIMIT_MS = 10 * 60 * 1000;
const ENVELOPE_BYTES = 100;
setTimeout(() => {
  console.error('server-bench: time limit reached, stopping');
  process.exit(3);
}, HARD_LIMIT_MS).unref();

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

/** Makes the server collect its garbage on SIGUSR2 and say what it holds (see the file). */
const GC_HOOK = new URL('./server-gc-hook.mjs', import.meta.url).pathname;

/** Opens `count` connections with `open(i)`, 100 at a time: 10,000 at once overflow the accept backlog. */
async function inHundreds<T>(count: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const all: T[] = [];
  for (let i = 0; i < count; i += 100) {
    all.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j)))));
  }
  return all;
}

/** Both sides' CPU over a timed phase: how many cores the server and this load generator used. */
async function withCpu<T>(pid: number, phase: () => Promise<T>) {
  const server0 = cpuMsOf(pid);
  const main0 = cpuMsOf(pid, true);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await phase();
  const wall = performance.now() - t0;
  const self = process.cpuUsage(self0);
  return {
    result,
    serverCores: Math.round(((cpuMsOf(pid) - server0) / wall) * 100) / 100,
    serverMainCores: Math.round(((cpuMsOf(pid, true) - main0) / wall) * 100) / 100,
    clientCores: Math.round(((self.user + self.system) / 1000 / wall) * 100) / 100,
  };
}

/**
 * The server's RSS, and the bytes live in its main thread's heap and its buffers, in KB, once it
 * has collected its garbage (server-gc-hook.mjs).
 */
async function collectedMemory(server: ServerProcess): Promise<{ rssKb: number; liveKb: number }> {
  const out = server.process.stdout;
  if (out === null) throw new Error('the server has no stdout');
  const live = new Promise<number>((resolve) => {
    const onData = (d: Buffer) => {
      const m = /parley-bench: collected (\d+)/.exec(d.toString());
      if (m === null) return;
      out.off('data', onData);
      resolve(Number(m[1]) / 1024);
    };
    out.on('data', onData);
  });
  server.process.kill('SIGUSR2');
  const liveKb = await live;
  return { rssKb: rssKb(server.process.pid as number), liveKb };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? Number.NaN);
}

// ---------------------------------------------------------------------------------------------
// Clients.

interface Peer {
  readonly ws: WebSocket;
  /** Resolves the pending request with this id. */
  readonly pending: Map<number, (frame: Record<string, unknown>) => void>;
  nextId: number;
}

/** A frame: JSON parsed, binary decoded (byte strings then stay bytes). */
const frameOf = (data: Buffer, isBinary: boolean): Record<string, unknown> =>
  (isBinary ? decodeServerFrame(data) : JSON.parse(data.toString())) as Record<string, unknown>;

/** What a binary `sent` frame answers (its seq is not needed). */
const SENT: Record<string, unknown> = Object.freeze({ type: 'sent' });

/**
 * A client. The two binary frames of every message are read in place rather than decoded into
 * objects — `sent` (0x81 ‖ u32 id ‖ u64 seq) and `message` (handed to `onPush` as bytes) — so
 * that the load generator takes less of the two cores it shares with the server, and fewer of its
 * own GC pauses land in the latencies it measures; every other frame is decoded.
 */
function connect(
  wsUrl: string,
  onFrame: (peer: Peer, frame: Record<string, unknown>) => void,
  onPush: (peer: Peer, frame: Buffer) => void,
): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    const peer: Peer = { ws, pending: new Map(), nextId: 1 };
    let socket: Socket | undefined;
    ws.on('upgrade', (res) => {
      socket = res.socket;
    });
    ws.on('open', () => resolve(peer));
    ws.on('error', reject);
    ws.on('message', (data: Buffer, isBinary) => {
      if (socket !== undefined) corkForThisTurn(socket);
      if (isBinary && data[0] === SocketFrameType.message) return onPush(peer, data);
      const sent = isBinary && data[0] === SocketFrameType.sent && data.length === 13;
      const frame = sent ? null : frameOf(data, isBinary);
      const id = sent ? data.readUInt32BE(1) : frame?.id;
      const waiter = typeof id === 'number' ? peer.pending.get(id) : undefined;
      if (waiter) {
        peer.pending.delete(id as number);
        waiter(frame ?? SENT);
      } else if (frame !== null) onFrame(peer, frame);
    });
  });
}

/** Sockets corked by corkForThisTurn, uncorked together once this turn's I/O callbacks are done. */
const corked = new Set<Socket>();
const uncorkAll = () => {
  for (const socket of corked) socket.uncork();
  corked.clear();
};

/**
 * Holds a client's writes back until every frame that arrived in this turn of the event loop has
 * been handled (a setImmediate, after the I/O callbacks and their microtasks), so that a push's
 * ack and the next send it answers leave in one write, as the server's answers to them arrived
 * (websocket.ts corks too). The server reads the same frames; only this process's system calls
 * and the server's reads of them are fewer.
 */
function corkForThisTurn(socket: Socket): void {
  if (corked.has(socket)) return;
  if (corked.size === 0) setImmediate(uncorkAll);
  corked.add(socket);
  socket.cork();
}

function request(peer: Peer, frame: Record<string, unknown>): Promise<Record<string, unknown>> {
  return requestEncoded(peer, JSON.stringify(frame));
}

/**
 * `request` for a frame already encoded: in JSON (an object), the id goes in front without
 * parsing it again; a binary one has its u32 id written into the frame built for this send.
 */
function requestEncoded(peer: Peer, frame: string | Buffer): Promise<Record<string, unknown>> {
  const id = peer.nextId++;
  return new Promise((resolve) => {
    peer.pending.set(id, resolve);
    if (typeof frame === 'string') peer.ws.send(`{"id":${id},${frame.slice(1)}`);
    else {
      frame.writeUInt32BE(id, 1);
      peer.ws.send(frame);
    }
  });
}

/** A `type` frame for mailbox `id` carrying `prove`'s answer to a fresh challenge; the answer. */
async function answerChallenge(
  peer: Peer,
  type: 'subscribe' | 'authorize',
  id: Uint8Array,
  prove: (challenge: Uint8Array) => Uint8Array,
): Promise<Record<string, unknown>> {
  const c = unb64(String((await request(peer, { type: 'challenge' })).challenge));
  const push = type === 'subscribe' && !json ? { push: 'binary' } : {};
  return request(peer, { type, mailbox: b64(id), challenge: b64(c), proof: b64(prove(c)), ...push });
}

/**
 * Every client's frames for one round, pre-signed (with --signed) and pre-encoded so that the
 * timed phase — its CPU figures too — measures the server, not this process's Ed25519. An
 * envelope starts with its sender's index and its number (u32 each, for the latency
 * bookkeeping), then the round's tag (so no round repeats another's).
 */
function buildFrames(
  boxes: { id: Uint8Array; sender: Uint8Array }[],
  messages: number,
  tag: string,
  signed: boolean,
): (string | Buffer)[][] {
  const n = boxes.length;
  return boxes.map((_, i) => {
    const target = boxes[(i + 1) % n] as { id: Uint8Array; sender: Uint8Array };
    return Array.from({ length: messages }, (_, k) => {
      const envelope = Buffer.alloc(ENVELOPE_BYTES);
      envelope.writeUInt32BE(i, 0);
      envelope.writeUInt32BE(k, 4);
      envelope.write(tag, 8);
      const signature = signed ? signDelivery(env, target.sender, target.id, envelope) : undefined;
      if (!json) return Buffer.from(encodeSendFrame({ id: 0, mailbox: target.id, signature, envelope }));
      return JSON.stringify({
        type: 'send',
        mailbox: b64(target.id),
        envelope: b64(envelope),
        ...(signature ? { signature: b64(signature) } : {}),
      });
    });
  });
}

/** Runs the message exchange; `ratePerSecond` paces sends overall (Infinity = as fast as possible). */
async function exchange(
  peers: Peer[],
  frames: (string | Buffer)[][],
  messages: number,
  received: { count: number; latencies: number[]; done: () => void },
  ratePerSecond: number,
): Promise<number> {
  const n = peers.length;
  const total = n * messages;
  const allDone = new Promise<void>((resolve) => {
    received.done = resolve;
  });
  const start = performance.now();
  const interval = Number.isFinite(ratePerSecond) ? (1000 * n) / ratePerSecond : 0;
  await Promise.all(
    peers.map(async (peer, i) => {
      for (let k = 0; k < messages; k++) {
        if (interval > 0) {
          const due = start + (i / n) * interval + k * interval;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        sentAt[i * messages + k] = performance.now();
        const answer = await requestEncoded(peer, frames[i]?.[k] as string | Buffer);
        if (answer.type !== 'sent') throw new Error(`send refused: ${JSON.stringify(answer.error)}`);
      }
    }),
  );
  if (received.count < total) await allDone;
  return total / ((performance.now() - start) / 1000);
}

/** When envelope k of client i was sent (ms, performance.now()), at [i × messages + k]; 0 if not. */
let sentAt = new Float64Array(0);

/** One timed phase: throughput, the send → push latencies, and the CPU each side used. */
interface Round {
  readonly msgs_per_s: number;
  readonly latencies: number[];
  readonly serverCores: number;
  readonly serverMainCores: number;
  readonly clientCores: number;
}

/** The Parley server, its mailboxes created and every client connected, subscribed and authorised. */
async function setUpParley(clients: number, signed: boolean) {
  const server = await startBenchServer(['--expose-gc', '--import', GC_HOOK]);
  const boxes = await createMailboxes(server.url, clients);
  const received = { count: 0, latencies: [] as number[], done: () => {} };
  let expected = 0;
  let perClient = 0;
  const delivered = (sender: number, k: number) => {
    const at = sentAt[sender * perClient + k];
    if (at !== undefined && at > 0) received.latencies.push(performance.now() - at);
    received.count++;
    if (received.count === expected) received.done();
  };
  // Acks carry no id (id 0 in binary): the server does not answer them (the recipient does not
  // need the count).
  const onFrame = (peer: Peer, f: Record<string, unknown>) => {
    if (f.type !== 'message') return;
    if (!json) throw new Error('a JSON push on a binary subscription');
    const r = new Reader(Buffer.from(String(f.envelope), 'base64url'), 'bench envelope');
    peer.ws.send(JSON.stringify({ type: 'ack', mailbox: f.mailbox, seqs: [f.seq] }));
    delivered(r.u32(), r.u32());
  };
  /** A binary ack of one seq, 0x02 ‖ u32 id 0 ‖ mailbox ‖ u16 1 ‖ u64 seq, reused (ws copies it as it masks it). */
  const ack = Buffer.from(encodeAckFrame({ id: 0, mailbox: new Uint8Array(16), seqs: [1] }));
  const onPush = (peer: Peer, m: Buffer) => {
    // 0x82 ‖ mailbox (16) ‖ u64 seq ‖ u64 receivedAt ‖ envelope: the ack takes the mailbox and
    // the seq as they are; the envelope starts with its sender's index and its number.
    m.copy(ack, 5, 1, 17);
    m.copy(ack, 23, 17, 25);
    peer.ws.send(ack);
    delivered(m.readUInt32BE(33), m.readUInt32BE(37));
  };
  const wsUrl = `${server.url.replace('http', 'ws')}/v1/ws`;
  // Both read once the server has collected its garbage. RSS still moves by megabytes on its own
  // (server-gc-hook.mjs), so at 2,000 clients the live heap is the steadier figure.
  const before = await collectedMemory(server);
  const peers = await inHundreds(clients, () => connect(wsUrl, onFrame, onPush));
  await Promise.all(
    peers.map(async (peer, i) => {
      const box = boxes[i] as { id: Uint8Array; recipient: Uint8Array };
      const r = await answerChallenge(peer, 'subscribe', box.id, (c) =>
        proveMailboxAccess(env, box.recipient, box.id, c, socketOperation('subscribe')),
      );
      if (r.type !== 'subscribed') throw new Error('subscribe refused');
      if (signed) return;
      const target = boxes[(i + 1) % clients] as { id: Uint8Array; sender: Uint8Array };
      const a = await answerChallenge(peer, 'authorize', target.id, (c) =>
        proveSendingRight(env, target.sender, target.id, c, socketOperation('authorize')),
      );
      if (a.type !== 'authorized') throw new Error('authorize refused');
    }),
  );
  await new Promise((r) => setTimeout(r, 1000));
  const after = await collectedMemory(server);
  const rssKbPerConn = (after.rssKb - before.rssKb) / clients;
  const liveKbPerConn = (after.liveKb - before.liveKb) / clients;
  const pid = server.process.pid as number;
  return {
    rssKbPerConn,
    liveKbPerConn,
    /** Every client sends `messages` messages; `ratePerSecond` paces them (Infinity: full speed). */
    async round(messages: number, ratePerSecond: number, tag: string): Promise<Round> {
      received.count = 0;
      received.latencies = [];
      sentAt = new Float64Array(clients * messages);
      perClient = messages;
      expected = clients * messages;
      const frames = buildFrames(boxes, messages, tag, signed);
      const run = await withCpu(pid, () => exchange(peers, frames, messages, received, ratePerSecond));
      return { msgs_per_s: run.result, latencies: received.latencies, ...run };
    },
    async close(): Promise<void> {
      for (const p of peers) p.ws.terminate();
      await server.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The bare relay (bare-relay-server.ts, its own process): forwards each frame to client i, in the
// framing of the Parley run (binary `u32 i ‖ payload`, or JSON {"to":i,...} with --json), so that
// the ceiling does not pay for JSON the server no longer parses.

async function setUpBareRelay(clients: number) {
  const script = new URL('./bare-relay-server.ts', import.meta.url).pathname;
  // With the server's node flags (its launcher's): the ceiling is Node's as the server runs it.
  const { child: relay, match } = await spawnUntil(
    'relay',
    [...launcherFlags(SERVER_BIN), '--import', 'tsx', script],
    /listening on (\d+)/,
  );
  const port = Number(match);
  let count = 0;
  let total = 0;
  let done = () => {};
  const open = (i: number) =>
    new Promise<{ ws: WebSocket; ack: () => Promise<void> }>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/?i=${i}`);
      let waiting: (() => void) | null = null;
      ws.on('message', (d, isBinary) => {
        const sent = isBinary ? (d as Buffer).length === 1 : d.toString() === '{"type":"sent"}';
        if (sent) {
          waiting?.();
          waiting = null;
        } else if (++count === total) done();
      });
      ws.on('error', reject);
      ws.on('open', () =>
        resolve({
          ws,
          ack: () =>
            new Promise<void>((r) => {
              waiting = r;
            }),
        }),
      );
    });
  let peers: { ws: WebSocket; ack: () => Promise<void> }[] = [];
  const connectAll = async () => {
    peers = await inHundreds(clients, open);
  };
  const disconnectAll = async () => {
    await Promise.all(
      peers.map((p) => {
        const closed = new Promise((r) => p.ws.once('close', r));
        p.ws.terminate();
        return closed;
      }),
    );
    peers = [];
  };
  const payload = b64(new Uint8Array(ENVELOPE_BYTES));
  /**
   * Client i's frame to i + 1, built once, outside the timed loop as the server run's are (ws
   * copies a binary frame as it masks it, so one buffer serves every send).
   */
  const frames = Array.from({ length: clients }, (_, i): string | Buffer => {
    const to = (i + 1) % clients;
    if (json) return JSON.stringify({ to, envelope: payload });
    const frame = Buffer.alloc(4 + ENVELOPE_BYTES);
    frame.writeUInt32BE(to, 0);
    return frame;
  });
  return {
    /** One timed round (the clients connect before the first). */
    async round(messages: number): Promise<Round> {
      if (peers.length === 0) await connectAll();
      count = 0;
      total = clients * messages;
      const finished = new Promise<void>((r) => {
        done = r;
      });
      const start = performance.now();
      const run = await withCpu(relay.pid as number, async () => {
        await Promise.all(
          peers.map(async (p, i) => {
            for (let k = 0; k < messages; k++) {
              const acked = p.ack();
              p.ws.send(frames[i] as string | Buffer);
              await acked;
            }
          }),
        );
        await finished;
      });
      return { msgs_per_s: total / ((performance.now() - start) / 1000), latencies: [], ...run };
    },
    async close(): Promise<void> {
      await disconnectAll();
      relay.kill('SIGTERM');
    },
  };
}

const median = (xs: number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** A round's figures as printed: msgs/s and the CPU each side used per second and per message. */
function cpuOf(r: Round) {
  return {
    msgs_per_s: Math.round(r.msgs_per_s),
    server_cores: r.serverCores,
    client_cores: r.clientCores,
    server_cpu_us_per_msg: Math.round((r.serverCores * 1e6) / r.msgs_per_s),
  };
}

const { clients, messages, rounds } = parseCounts<'clients' | 'messages' | 'rounds'>(
  argv.filter((a) => a !== '--signed' && a !== '--json'),
  { clients: 2000, messages: 10, rounds: 5 },
);
/** This process's limit on open files (Linux), or none known. */
function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m?.[1] ? Number(m[1]) : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
// Both sides' clients open at once take two sockets a client in this process; past its limit
// (20,000 files here, so at 10,000 clients) the relay's rounds all run first and its clients
// close before the server's connect: the rounds' ratios then compare the two a minute apart.
const inTurn = 2 * clients + 1000 <= openFileLimit();
console.error(
  `server benchmark: ${clients} clients × ${messages} messages of ${ENVELOPE_BYTES} bytes, ${signed ? 'each signed' : 'one sending proof per connection'}, ${json ? 'JSON' : 'binary'} frames; ${rounds} rounds of the bare relay and the server${inTurn ? ' in turn' : ', the relay first (too many sockets for both at once)'}`,
);
const relayRounds: Round[] = [];
const serverRounds: Round[] = [];
const relay = await setUpBareRelay(clients);
await relay.round(messages); // a warm-up round each (not counted): V8 compiles the hot paths
if (!inTurn) {
  for (let r = 0; r < rounds; r++) relayRounds.push(await relay.round(messages));
  await relay.close();
}
const parley = await setUpParley(clients, signed);
await parley.round(messages, Number.POSITIVE_INFINITY, 'warm'); // and SQLite's caches fill
// In turn, so that both see the same machine: on a shared machine either one's rate drifts by
// tens of percent within minutes, and a ratio of two runs minutes apart says little.
for (let r = 0; r < rounds; r++) {
  if (inTurn) relayRounds.push(await relay.round(messages));
  const b = relayRounds[r] as Round;
  const p = await parley.round(messages, Number.POSITIVE_INFINITY, `peak${r}`);
  serverRounds.push(p);
  console.error(
    `round ${r + 1}: bare relay ${Math.round(b.msgs_per_s)} msgs/s (relay ${cpuOf(b).server_cpu_us_per_msg} µs a message), parley-server ${Math.round(p.msgs_per_s)} msgs/s (server ${cpuOf(p).server_cpu_us_per_msg} µs a message, main thread ${Math.round((p.serverMainCores * 1e6) / p.msgs_per_s)}), ratio ${(p.msgs_per_s / b.msgs_per_s).toFixed(3)}`,
  );
}
if (inTurn) await relay.close();
const peak = median(serverRounds.map((r) => r.msgs_per_s));
// Half load as many rounds: one hiccup of the machine (a slow fsync, a pause in either process)
// sets the p99 of a single short round, so the p99 is over all of them.
const halves: Round[] = [];
for (let r = 0; r < rounds; r++) halves.push(await parley.round(messages, peak / 2, `half${r}`));
await parley.close();

/** The round with the median rate, by rate (for its CPU figures). */
const medianRound = (rs: Round[]) =>
  [...rs].sort((a, b) => a.msgs_per_s - b.msgs_per_s)[Math.floor(rs.length / 2)] as Round;
const mid = medianRound(serverRounds);
const peakLat = serverRounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
const halfLat = halves.flatMap((r) => r.latencies).sort((a, b) => a - b);
const ratios = serverRounds.map(
  (p, i) => Math.round((p.msgs_per_s / (relayRounds[i] as Round).msgs_per_s) * 1000) / 1000,
);
const server = {
  ...cpuOf(mid),
  msgs_per_s: Math.round(peak),
  p50_ms: round1(percentile(peakLat, 50)),
  p99_ms: round1(percentile(peakLat, 99)),
  half_load_p50_ms: round1(percentile(halfLat, 50)),
  half_load_p99_ms: round1(percentile(halfLat, 99)),
  /** Each half-load round's own p99. */
  half_load_p99_rounds: halves.map((r) =>
    round1(
      percentile(
        [...r.latencies].sort((a, b) => a - b),
        99,
      ),
    ),
  ),
  rss_kb_per_conn: round1(parley.rssKbPerConn),
  /** What the main thread's heap and buffers hold per idle connection (after collecting). */
  live_kb_per_conn: round1(parley.liveKbPerConn),
  server_main_thread_cores: mid.serverMainCores,
  server_main_thread_us_per_msg: Math.round((mid.serverMainCores * 1e6) / mid.msgs_per_s),
  rounds: serverRounds.map((r) => Math.round(r.msgs_per_s)),
};
const bare_relay = {
  ...cpuOf(medianRound(relayRounds)),
  msgs_per_s: Math.round(median(relayRounds.map((r) => r.msgs_per_s))),
  rounds: relayRounds.map((r) => Math.round(r.msgs_per_s)),
};
console.error(
  `parley-server: ${server.msgs_per_s} msgs/s (median of ${rounds}), p50 ${server.p50_ms} ms, p99 ${server.p99_ms} ms (half load: p50 ${server.half_load_p50_ms} ms, p99 ${server.half_load_p99_ms} ms), ${server.rss_kb_per_conn} KB RSS per idle connection (${server.live_kb_per_conn} KB live in its heap) (CPU in the median round: server ${server.server_cores} cores, ${server.server_cpu_us_per_msg} µs a message, of which its main thread ${server.server_main_thread_cores} cores, ${server.server_main_thread_us_per_msg} µs; load generator ${server.client_cores} cores)`,
);
console.error(`bare relay: ${bare_relay.msgs_per_s} msgs/s (median); ratio per round ${ratios.join(', ')}`);
console.log(JSON.stringify({ frames: json ? 'json' : 'binary', server, bare_relay, ratio: median(ratios), ratios }));
process.exit(0);
