/**
 * The multi-device case of `bench:client` (issue 18, docs/benchmarks.md): Alice and Bob with
 * `devices` devices each, linked the way a user links them (`linkDevice` on the first device,
 * `ParleyClient.join` on the new one, no history, both codes confirmed), every device running
 * (push connections) against one real server process. Per message: from `send()` called on one of
 * Alice's devices (they take turns) until every other device of both accounts has it — Bob's as
 * the `message` event, Alice's others as the synced sent message stored (a `sent` sync payload
 * emits no event: it is seen as the commit of the `<id>.out` history record). And the CPU per
 * message of this process (every client) and of the server. With `devices` = 1 the same code
 * measures the single-device figure it is compared with.
 *
 * The stores are the SDK's own (encrypted SQLite, fsync), opened as `@parley/client/node` opens
 * them but without the profile lock, behind a wrapper that sees each committed batch.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  EncryptedRecordStore,
  type ListOptions,
  nodeClientOptions,
  nodeStoreCrypto,
  ParleyClient,
  type RecordStore,
  type RecordWrite,
  SqliteRecordStore,
  type StoredRecord,
} from '@parley/client/node';
import { cpuMsOf } from './processes.ts';

const PASSPHRASE = 'bench passphrase';
/** How often each side of a linking looks at its link mailbox (the SDK's default is 500 ms). */
const POLL_MS = 50;
/** A message not on every device by then ends the benchmark with the devices that miss it. */
const MESSAGE_TIMEOUT_MS = 30_000;
/**
 * How long intros and welcomes may take to settle before the benchmark gives up. Every client
 * here comes from 127.0.0.1, one requester to the server's bundle and device-list budgets (60 a
 * minute, bursts of 30: docs/server.md): the 6×6 case's intros take more than a burst, so
 * some wait for the next minute's share (on a real network each device has its own address).
 */
const SETTLE_MS = 180_000;
/** Between sync rounds that left something to settle. */
const SETTLE_PAUSE_MS = 1000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** After the last message, how long CPU is still counted (its receipts). */
const TAIL_MS = 1000;

const now = () => performance.now();

/** Counted over every device's store: commits, the ms spent in SQLite's (with its fsync), envelopes queued. */
interface StoreCounters {
  commits: number;
  sqliteMs: number;
  envelopes: number;
}
const counters: StoreCounters = { commits: 0, sqliteMs: 0, envelopes: 0 };

/** A record store that reports each batch once it is committed, and the time the commit took. */
class WatchedStore implements RecordStore {
  constructor(
    private readonly inner: RecordStore,
    private readonly committed: (writes: readonly RecordWrite[], ms: number) => void,
  ) {}
  get(kind: string, id: string): Promise<Uint8Array | undefined> {
    return this.inner.get(kind, id);
  }
  list(kind: string, options?: ListOptions): Promise<StoredRecord[]> {
    return this.inner.list(kind, options);
  }
  async commit(writes: readonly RecordWrite[]): Promise<void> {
    const start = now();
    await this.inner.commit(writes);
    this.committed(writes, now() - start);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * One device and what reached it: for Bob's devices texts (`message` events), for Alice's the ids of
 * the texts her other devices sent (their synced history records), each with the time it arrived.
 */
class Device {
  readonly arrivals = new Map<string, number>();
  private readonly waiters = new Map<string, (t: number) => void>();
  #client: ParleyClient | null = null;
  constructor(readonly label: string) {}

  get client(): ParleyClient {
    if (this.#client === null) throw new Error(`${this.label} has no client yet`);
    return this.#client;
  }
  set client(c: ParleyClient) {
    this.#client = c;
    c.on((e) => (e.type === 'message' ? this.arrived(e.message.text) : undefined));
  }

  arrived(key: string): void {
    if (this.arrivals.has(key)) return;
    const t = now();
    this.arrivals.set(key, t);
    this.waiters.get(key)?.(t);
    this.waiters.delete(key);
  }

  /** When `key` arrived (now or later), or null after `timeoutMs`. */
  when(key: string, timeoutMs: number): Promise<number | null> {
    const t = this.arrivals.get(key);
    if (t !== undefined) return Promise.resolve(t);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(null);
      }, timeoutMs);
      this.waiters.set(key, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  /** The SDK's encrypted SQLite store for this device, watched for synced sent messages. */
  async store(dir: string): Promise<RecordStore> {
    const path = join(dir, this.label, 'store.db');
    mkdirSync(join(dir, this.label), { recursive: true, mode: 0o700 });
    // SQLite's commit is synchronous (better-sqlite3): while it writes and fsyncs, every client
    // in this process waits.
    const sqlite = new WatchedStore(await SqliteRecordStore.open(path), (_, ms) => {
      counters.commits++;
      counters.sqliteMs += ms;
    });
    const encrypted = await EncryptedRecordStore.create(sqlite, PASSPHRASE, nodeStoreCrypto);
    return new WatchedStore(encrypted, (writes) => {
      for (const w of writes) {
        if (w.kind === 'outbox' && w.value !== null) counters.envelopes++;
        // A text another device of ours sent: its history record `<wire id>.out` (own-sync.ts).
        if (w.value !== null && w.kind.startsWith('msg.') && w.id.endsWith('.out')) this.arrived(w.id.slice(0, -4));
      }
    });
  }
}

async function newDevice(dir: string, label: string, server: string, displayName: string): Promise<Device> {
  const d = new Device(label);
  d.client = await ParleyClient.create(await d.store(dir), nodeClientOptions(label), { server, displayName });
  return d;
}

/** Links a new device to `existing`'s account: both codes read and confirmed, no history. */
async function linkedDevice(dir: string, label: string, existing: ParleyClient): Promise<Device> {
  const d = new Device(label);
  const session = await existing.linkDevice({ pollMs: POLL_MS });
  const joining = await ParleyClient.join(await d.store(dir), nodeClientOptions(label), {
    link: session.link,
    deviceName: label,
    history: { kind: 'none' },
    pollMs: POLL_MS,
  });
  const [shown, typed] = await Promise.all([session.code(), joining.code()]);
  session.confirmCode(typed);
  joining.confirmCode(shown);
  const [, client] = await Promise.all([session.done, joining.done]);
  d.client = client;
  // The existing device takes the new one's intro and the new one its welcome, as two running
  // apps would at once: the next grant then names this device (a grant carries only the devices
  // the existing one has heard from).
  await existing.sync();
  await client.sync();
  return d;
}

/** Every device syncs in turn until each of `a`'s encrypts to all of `b`'s and back. */
async function settle(a: readonly Device[], b: readonly Device[]): Promise<void> {
  const reaches = async (from: readonly Device[], name: string, count: number) => {
    for (const d of from) if ((await d.client.contact(name)).devices !== count) return false;
    return true;
  };
  for (const deadline = now() + SETTLE_MS; now() < deadline; await pause(SETTLE_PAUSE_MS)) {
    for (const d of [...a, ...b]) await d.client.sync();
    if ((await reaches(a, 'Bob', b.length)) && (await reaches(b, 'Alice', a.length))) return;
  }
  const counts = async (from: readonly Device[], name: string) =>
    (await Promise.all(from.map(async (d) => `${d.label}→${(await d.client.contact(name)).devices}`))).join(' ');
  throw new Error(
    `the devices did not introduce themselves to each other in ${SETTLE_MS / 1000} s (devices reached: ${await counts(a, 'Bob')} ${await counts(b, 'Alice')})`,
  );
}

/** Sends `text` from `sender` and resolves with when each other device had it (null: not within the timeout). */
async function sendAndWait(
  sender: Device,
  alice: readonly Device[],
  bob: readonly Device[],
  text: string,
  timeoutMs: number,
) {
  const start = now();
  const sent = await sender.client.send('Bob', text);
  const returned = now();
  const arrivals = await Promise.all([
    ...bob.map((d) => d.when(text, timeoutMs)),
    ...alice.filter((d) => d !== sender).map((d) => d.when(sent.id, timeoutMs)),
  ]);
  return { start, returned, arrivals };
}

/**
 * Before measuring: each of Alice's devices sends one text that every other device must get
 * (her own devices' sessions with each other are not visible in a view); whoever misses it gets
 * another sync round, a few times.
 */
async function checkReach(alice: readonly Device[], bob: readonly Device[]): Promise<void> {
  const others = (sender: Device) => [...bob, ...alice.filter((d) => d !== sender)];
  const deadline = now() + SETTLE_MS;
  for (const [i, sender] of alice.entries()) {
    for (let attempt = 0; ; attempt++) {
      const text = `reach ${i} ${attempt}`;
      const sent = await sender.client.send('Bob', text);
      for (const d of others(sender)) await d.client.sync();
      const missing = others(sender).filter((d) => !d.arrivals.has(bob.includes(d) ? text : sent.id));
      if (missing.length === 0) break;
      if (now() > deadline) {
        throw new Error(`${sender.label} does not reach ${missing.map((d) => d.label).join(', ')}`);
      }
      await pause(SETTLE_PAUSE_MS);
      for (const d of [...alice, ...bob]) await d.client.sync();
    }
  }
}

export interface MultiDeviceFigures {
  readonly devices: number;
  readonly messages: number;
  /** Per message: `send()` called → the last of the other devices has it (ms). */
  readonly latencies: number[];
  /** Per message: `send()` called → the first of the other devices has it (ms). */
  readonly firstArrivals: number[];
  /**
   * Per message: `send()` called → it returned (ms): sealed for every device, committed, and
   * every envelope taken by the server (send waits for the outbox flush).
   */
  readonly sendReturns: number[];
  /** CPU per message (ms): this process (every client) and the server process. */
  readonly clientCpuMs: number;
  readonly serverCpuMs: number;
  /** Per message, over every device: store commits, ms inside SQLite's commit (fsync included), envelopes queued. */
  readonly commits: number;
  readonly sqliteMs: number;
  readonly envelopes: number;
  /** Time to link the devices, let them introduce themselves, start them and send the warm-up texts (s). */
  readonly setupSeconds: number;
}

/**
 * Alice and Bob with `devices` devices each on the server at `server` (pid `serverPid`, for its
 * CPU), profiles under `dir`; `messages` texts, sent one at a time from Alice's devices in turn.
 */
export async function multiDeviceFigures(
  server: string,
  serverPid: number,
  dir: string,
  devices: number,
  messages: number,
): Promise<MultiDeviceFigures> {
  const home = join(dir, `md-${devices}`);
  const setupStart = now();
  const a0 = await newDevice(home, 'alice-0', server, 'Alice');
  const b0 = await newDevice(home, 'bob-0', server, 'Bob');
  const alice = [a0];
  const bob = [b0];
  const all = () => [...alice, ...bob];
  try {
    const { link } = await a0.client.createInvitation();
    await b0.client.connect(link);
    await a0.client.sync();
    await b0.client.sync();
    // Alice's devices first, introduced to Bob's only one; then Bob's, whose grants carry every
    // one of Alice's devices to introduce themselves to.
    for (let k = 1; k < devices; k++) alice.push(await linkedDevice(home, `alice-${k}`, a0.client));
    await settle(alice, bob);
    for (let k = 1; k < devices; k++) bob.push(await linkedDevice(home, `bob-${k}`, b0.client));
    await settle(alice, bob);
    await checkReach(alice, bob);
    for (const d of all()) await d.client.start();
    await pause(500); // subscribed
    // Not measured: one text from each of Alice's devices, so that the sending proofs each
    // connection makes once per mailbox (docs/server.md "WebSocket") are made before.
    for (const [i, sender] of alice.entries()) {
      const { arrivals } = await sendAndWait(sender, alice, bob, `md warm-up ${i}`, MESSAGE_TIMEOUT_MS);
      if (arrivals.some((t) => t === null))
        throw new Error(`the warm-up text from ${sender.label} did not reach every device`);
    }
    const setupSeconds = (now() - setupStart) / 1000;

    const latencies: number[] = [];
    const firstArrivals: number[] = [];
    const sendReturns: number[] = [];
    const before = { ...counters };
    const cpu = process.cpuUsage();
    const serverCpu = cpuMsOf(serverPid);
    for (let i = 0; i < messages; i++) {
      const sender = alice[i % alice.length] as Device;
      const { start, returned, arrivals } = await sendAndWait(sender, alice, bob, `md bench ${i}`, MESSAGE_TIMEOUT_MS);
      if (arrivals.some((t) => t === null)) {
        throw new Error(`message ${i} from ${sender.label} did not reach every device within ${MESSAGE_TIMEOUT_MS} ms`);
      }
      latencies.push(Math.max(...(arrivals as number[])) - start);
      firstArrivals.push(Math.min(...(arrivals as number[])) - start);
      sendReturns.push(returned - start);
    }
    await pause(TAIL_MS);
    const used = process.cpuUsage(cpu);
    return {
      devices,
      messages,
      latencies,
      firstArrivals,
      sendReturns,
      clientCpuMs: (used.user + used.system) / 1000 / messages,
      serverCpuMs: (cpuMsOf(serverPid) - serverCpu) / messages,
      commits: (counters.commits - before.commits) / messages,
      sqliteMs: (counters.sqliteMs - before.sqliteMs) / messages,
      envelopes: (counters.envelopes - before.envelopes) / messages,
      setupSeconds,
    };
  } finally {
    for (const d of all()) await d.client.close().catch(() => undefined);
  }
}

/** The server's limit (docs/server.md "Devices"), and the case issue 18 asks for. */
export const MAX_DEVICES = 6;
/** Issue 18's target: the multi-device median at most this many times the single-device one. */
const TARGET_RATIO = 3;

const median = (xs: readonly number[]) => quantile(xs, 0.5);
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}
const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * The multi-device case beside the single-device one, both measured here in the same way and
 * the same run: the lines `bench:client` prints and its JSON part.
 */
export async function multiDeviceReport(
  server: string,
  serverPid: number,
  dir: string,
  devices: number,
  messages: number,
): Promise<{ lines: string[]; json: Record<string, unknown> }> {
  if (!Number.isInteger(devices) || devices < 2 || devices > MAX_DEVICES) {
    throw new Error(`--devices takes 2 to ${MAX_DEVICES} (the server's limit per account)`);
  }
  const one = await multiDeviceFigures(server, serverPid, dir, 1, messages);
  const many = await multiDeviceFigures(server, serverPid, dir, devices, messages);
  const ratio = median(many.latencies) / median(one.latencies);
  const figures = (f: MultiDeviceFigures) => ({
    devices: f.devices,
    send_to_all_ms: { p50: r1(median(f.latencies)), p95: r1(quantile(f.latencies, 0.95)) },
    send_to_first_ms: r1(median(f.firstArrivals)),
    send_returned_ms: r1(median(f.sendReturns)),
    cpu_ms_per_message: { clients: r1(f.clientCpuMs), server: r1(f.serverCpuMs) },
    per_message: { envelopes: r1(f.envelopes), commits: r1(f.commits), sqlite_commit_ms: r1(f.sqliteMs) },
  });
  const line = (f: MultiDeviceFigures, what: string) =>
    `SDK  ${what}, ${f.messages} messages: send → all ${2 * f.devices - 1} other devices median ${r1(median(f.latencies))} ms, p95 ${r1(quantile(f.latencies, 0.95))} ms; CPU/message ${r1(f.clientCpuMs)} ms clients + ${r1(f.serverCpuMs)} ms server; ${r1(f.envelopes)} envelopes, ${r1(f.commits)} commits (${r1(f.sqliteMs)} ms in SQLite)`;
  return {
    lines: [
      line(one, '1×1 devices'),
      line(many, `${devices}×${devices} devices (set up in ${many.setupSeconds.toFixed(1)} s)`),
      `SDK  ${devices}×${devices} / 1×1 median: ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? 'met' : 'missed'})`,
    ],
    json: { single: figures(one), multi: figures(many), ratio: Math.round(ratio * 100) / 100 },
  };
}
