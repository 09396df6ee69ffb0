/**
 * `npm run bench:flood`: what hostile anonymous clients do to everyone else. One real
 * `parley-server` process (SQLite, as `npm start` runs it). A well-behaved client asks, every
 * 10 ms, for `GET /health` and makes one proof round trip (a challenge, then a mailbox read
 * signed over it, through the client SDK's ServerApi), and times each — first on a quiet server,
 * then while `--flooders` N anonymous WebSocket connections send challenge frames as fast as the
 * server answers (50 unanswered each; reconnecting when closed) and N drainers fetch one device's
 * prekey bundle one after another (all on a thread of their own, flood-worker.mjs).
 *
 * For each phase it reports the well-behaved client's p50/p99 of both, how many of its proofs
 * failed, what the attackers got (challenges answered and refused a second, reconnects, bundles
 * served and refused), the server's CPU (cores), and its peak RSS (VmHWM of /proc/<pid>/status,
 * the high-water mark since it started).
 *
 * Every client here comes from 127.0.0.1, one source to the server's per-source quotas, so those
 * are off (the testkit's default); the per-connection WebSocket limits (frame-budget.ts) apply.
 *
 * Options: --seconds S per phase (default 5), --flooders N (default 4). Everything runs on
 * 127.0.0.1 and stops by itself. Last line: one JSON object.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { MemoryRecordStore, ParleyClient, ServerApi } from '@parley/client';
import { deviceId, defaultEnv as env, generateEd25519, generateIdentity } from '@parley/protocol';
import { parseCounts, percentile, round1 } from './measure.ts';
import { cpuMsOf, startBenchServer } from './processes.ts';

const { seconds, flooders: many } = parseCounts<'seconds' | 'flooders'>(process.argv.slice(2), {
  seconds: 5,
  flooders: 4,
});
setTimeout(
  () => {
    console.error('flood-bench: time limit reached, stopping');
    process.exit(3);
  },
  (2 * seconds + 90) * 1000,
).unref();
const IN_FLIGHT = 50;
const PROBE_EVERY_MS = 10;

interface AttackCounts {
  readonly challenges: number;
  readonly refused: number;
  readonly reconnects: number;
  readonly bundles: number;
  readonly bundlesRefused: number;
}

/** The attackers on a thread of their own (flood-worker.mjs): their counts so far, and stop. */
async function attackers(workerData: Record<string, unknown>) {
  const worker = new Worker(new URL('./flood-worker.mjs', import.meta.url), { workerData });
  // A thread that fails (a connection refused, say) fails the run rather than leaving it waiting.
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  failed.catch(() => {});
  const next = () => Promise.race([new Promise<unknown>((resolve) => worker.once('message', resolve)), failed]);
  if ((await next()) !== 'open') throw new Error('the attackers did not connect');
  const ask = async (what: 'count' | 'stop') => {
    const answer = next();
    worker.postMessage(what);
    return (await answer) as AttackCounts;
  };
  return { counts: () => ask('count'), stop: () => ask('stop') };
}

/** The server's peak resident set since it started, in MiB. */
function peakRssMib(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return round1(Number(kb) / 1024);
}

interface Phase {
  readonly health_p50_ms: number;
  readonly health_p99_ms: number;
  readonly proof_p50_ms: number;
  readonly proof_p99_ms: number;
  readonly proofs: number;
  readonly proofs_failed: number;
  /** Per second: challenges answered to the flood, control frames refused, bundles served and refused. */
  readonly flood_challenges_per_s: number;
  readonly flood_refused_per_s: number;
  readonly flood_reconnects: number;
  readonly bundles_per_s: number;
  readonly bundles_refused_per_s: number;
  readonly server_cores: number;
  readonly server_peak_rss_mib: number;
}

// The WebSocket control-frame pace is the point here: on, at its default (the testkit turns it off).
const server = await startBenchServer([], { PARLEY_CONTROL_FRAMES_PER_SECOND: '20' });
const wsUrl = `${server.url.replace('http', 'ws')}/v1/ws`;
const pid = server.process.pid as number;

// The well-behaved client: an account and a mailbox it reads with a proof each time.
const api = new ServerApi(server.url);
const identity = generateIdentity(env);
const deviceKeys = generateEd25519(env);
const { accountId, deviceId: device } = await api.register(identity, deviceId(1), deviceKeys);
const recipient = generateEd25519(env);
const mailboxId = await api.createMailbox(
  { account: accountId, device, devicePrivateKey: deviceKeys.privateKey },
  recipient.publicKey,
  generateEd25519(env).publicKey,
);
const mailbox = { id: mailboxId, recipientPrivateKey: recipient.privateKey };

// The victim of the drain: a client that registered and uploaded its prekeys.
const victim = await ParleyClient.create(
  new MemoryRecordStore(),
  {
    profile: 'victim',
    api: (url) => new ServerApi(url),
    push: () => {
      throw new Error('the victim does not connect');
    },
  },
  { server: server.url, displayName: 'Victim' },
);
const bundlePath = `/v1/accounts/${encodeURIComponent(victim.profile.accountId)}/devices/1/bundle`;

async function phase(n: number): Promise<Phase> {
  const attack =
    n > 0 ? await attackers({ url: server.url, wsUrl, connections: n, inFlight: IN_FLIGHT, bundlePath }) : null;
  const cpu0 = cpuMsOf(pid);
  const t0 = performance.now();
  const before = await attack?.counts();
  const health: number[] = [];
  const proof: number[] = [];
  let failed = 0;
  while (performance.now() - t0 < seconds * 1000) {
    let t = performance.now();
    await (await fetch(`${server.url}/health`)).text();
    health.push(performance.now() - t);
    t = performance.now();
    try {
      await api.readMailbox(mailbox);
      proof.push(performance.now() - t);
    } catch {
      failed++;
    }
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  const after = await attack?.counts();
  const wall = performance.now() - t0;
  const cores = (cpuMsOf(pid) - cpu0) / wall;
  await attack?.stop();
  const rate = (k: keyof AttackCounts) => Math.round(((after?.[k] ?? 0) - (before?.[k] ?? 0)) / (wall / 1000));
  health.sort((a, b) => a - b);
  proof.sort((a, b) => a - b);
  return {
    health_p50_ms: round1(percentile(health, 50)),
    health_p99_ms: round1(percentile(health, 99)),
    proof_p50_ms: round1(percentile(proof, 50)),
    proof_p99_ms: round1(percentile(proof, 99)),
    proofs: proof.length + failed,
    proofs_failed: failed,
    flood_challenges_per_s: rate('challenges'),
    flood_refused_per_s: rate('refused'),
    flood_reconnects: (after?.reconnects ?? 0) - (before?.reconnects ?? 0),
    bundles_per_s: rate('bundles'),
    bundles_refused_per_s: rate('bundlesRefused'),
    server_cores: round1(cores),
    server_peak_rss_mib: peakRssMib(pid),
  };
}

console.error(
  `flood benchmark: ${seconds} s a phase; a well-behaved client asks for /health and makes a proof round trip every ${PROBE_EVERY_MS} ms`,
);
const results: Record<string, Phase> = {};
for (const [name, n] of [
  ['quiet', 0],
  [`flood_${many}`, many],
] as const) {
  const r = await phase(n);
  results[name] = r;
  console.error(
    `${n === 0 ? 'quiet' : `${n} flooding + ${n} draining`}: /health p50 ${r.health_p50_ms} ms, p99 ${r.health_p99_ms} ms; proof p50 ${r.proof_p50_ms} ms, p99 ${r.proof_p99_ms} ms, ${r.proofs_failed} of ${r.proofs} failed; flood answered ${r.flood_challenges_per_s} challenges/s, refused ${r.flood_refused_per_s} frames/s, ${r.flood_reconnects} reconnects; bundles ${r.bundles_per_s}/s served, ${r.bundles_refused_per_s}/s refused; server ${r.server_cores} cores, peak RSS ${r.server_peak_rss_mib} MiB`,
  );
}
await server.stop();
console.log(JSON.stringify({ seconds, flooders: many, ...results }));
process.exit(0);
