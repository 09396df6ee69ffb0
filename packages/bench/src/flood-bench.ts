/**
 * `npm run bench:flood`: what a flood of unauthenticated requests does to everyone else. One real
 * `parley-server` process (SQLite, as `npm start` runs it); a well-behaved client asks for
 * `GET /health` and, on a WebSocket of its own, for a challenge, every 10 ms, and times each
 * answer — first on a quiet server, then while one flooder, then `--flooders` of them, ask for
 * challenges as fast as the server answers (each keeps 50 requests in flight on its own
 * connection; all of them on a thread of their own, flood-worker.mjs). A challenge is the one request anyone may make without proving anything, and
 * every authentication starts with one. For each phase it reports the well-behaved client's
 * p50/p99 of both, the challenges served a second, and the server's CPU (cores).
 *
 * Options: --seconds S per phase (default 5), --flooders N (default 4). Everything runs on
 * 127.0.0.1 and stops by itself. Last line: one JSON object.
 */
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
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
  (3 * seconds + 60) * 1000,
).unref();
const IN_FLIGHT = 50;
const PROBE_EVERY_MS = 10;

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A connection's next JSON frame other than the hello, as the answer to the request just sent. */
function nextFrame(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      if (frame.type === 'hello') return;
      ws.off('message', onMessage);
      resolve(frame);
    };
    ws.on('message', onMessage);
  });
}

/** `connections` flooders on a thread of their own (flood-worker.mjs): how many were answered so far, and stop. */
async function flooders(url: string, connections: number) {
  const worker = new Worker(new URL('./flood-worker.mjs', import.meta.url), {
    workerData: { url, connections, inFlight: IN_FLIGHT },
  });
  // A thread that fails (a connection refused, say) fails the run rather than leaving it waiting.
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  failed.catch(() => {});
  const next = () => Promise.race([new Promise<unknown>((resolve) => worker.once('message', resolve)), failed]);
  if ((await next()) !== 'open') throw new Error('the flooders did not connect');
  const ask = async (what: 'count' | 'stop') => {
    const answer = next();
    worker.postMessage(what);
    return Number(await answer);
  };
  return { answered: () => ask('count'), stop: () => ask('stop') };
}

interface Phase {
  readonly health_p50_ms: number;
  readonly health_p99_ms: number;
  readonly challenge_p50_ms: number;
  readonly challenge_p99_ms: number;
  /** Challenges the flooders were answered, per second. */
  readonly flood_per_s: number;
  readonly server_cores: number;
}

const server = await startBenchServer();
const wsUrl = `${server.url.replace('http', 'ws')}/v1/ws`;
const pid = server.process.pid as number;
const probe = await open(wsUrl);

/** The well-behaved client's answers for `seconds`, while `flooding` connections flood. */
async function phase(flooding: number): Promise<Phase> {
  const flood = flooding > 0 ? await flooders(wsUrl, flooding) : null;
  const cpu0 = cpuMsOf(pid);
  const t0 = performance.now();
  const answered0 = (await flood?.answered()) ?? 0;
  const health: number[] = [];
  const challenge: number[] = [];
  let id = 0;
  while (performance.now() - t0 < seconds * 1000) {
    let t = performance.now();
    await (await fetch(`${server.url}/health`)).text();
    health.push(performance.now() - t);
    t = performance.now();
    const answer = nextFrame(probe);
    probe.send(JSON.stringify({ type: 'challenge', id: ++id }));
    if ((await answer).type !== 'challenge') throw new Error('the challenge was refused');
    challenge.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  const served = ((await flood?.answered()) ?? 0) - answered0;
  const wall = performance.now() - t0;
  const cores = (cpuMsOf(pid) - cpu0) / wall;
  await flood?.stop();
  health.sort((a, b) => a - b);
  challenge.sort((a, b) => a - b);
  return {
    health_p50_ms: round1(percentile(health, 50)),
    health_p99_ms: round1(percentile(health, 99)),
    challenge_p50_ms: round1(percentile(challenge, 50)),
    challenge_p99_ms: round1(percentile(challenge, 99)),
    flood_per_s: Math.round(served / (wall / 1000)),
    server_cores: round1(cores),
  };
}

console.error(
  `flood benchmark: ${seconds} s a phase; a well-behaved client asks for /health and a challenge every ${PROBE_EVERY_MS} ms`,
);
const results: Record<string, Phase> = {};
for (const [name, n] of [
  ['quiet', 0],
  ['flood_1', 1],
  [`flood_${many}`, many],
] as const) {
  const r = await phase(n);
  results[name] = r;
  console.error(
    `${name === 'quiet' ? 'quiet' : `${n} flooding`}: /health p50 ${r.health_p50_ms} ms, p99 ${r.health_p99_ms} ms; challenge p50 ${r.challenge_p50_ms} ms, p99 ${r.challenge_p99_ms} ms; ${r.flood_per_s} challenges/s to the flood; server ${r.server_cores} cores`,
  );
}
await server.stop();
console.log(JSON.stringify({ seconds, flooders: many, ...results }));
process.exit(0);
