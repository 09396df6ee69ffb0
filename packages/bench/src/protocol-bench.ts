/**
 * `npm run bench:protocol`: Parley's protocol core side by side with Signal's libsignal-client,
 * on the same machine and terms (see parley-bench.ts and libsignal-bench.ts).
 *
 * Method. Each library is measured in a fresh child process of its own: sharing one process
 * made the second library measurably slower (libsignal leaves many native objects with
 * finalizers behind), and an application runs one library, not both. The two alternate for
 * `--rounds` rounds because this machine's speed drifts by up to ±30% between runs; each figure
 * reported is the median over rounds, and each ratio the median of per-round ratios, so the two
 * sides of a ratio saw the same conditions. The last line printed is one JSON object.
 *
 * Options: --rounds N (default 3) --setups N (300) --oneway N (20000) --pingpong N (4000)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProtocolFigures } from './libsignal-bench.ts';
import { type BenchOptions, parseCounts, round1 } from './measure.ts';
import type { ParleyFigures } from './parley-bench.ts';

let counts: BenchOptions & { rounds: number };
try {
  counts = parseCounts(process.argv.slice(2), { rounds: 3 });
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const { rounds, ...opts } = counts;

/** Runs one side's script in a new Node process and parses the JSON line it prints. */
function measure<T>(script: string): T {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const args = ['--import', 'tsx', file, ...Object.entries(opts).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as T;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

console.error(
  `protocol benchmark: ${rounds} rounds of ${opts.setups} setups, ${opts.oneway} one-way, ${opts.pingpong} ping-pong messages`,
);
const ls: ProtocolFigures[] = [];
const pa: ParleyFigures[] = [];
for (let r = 1; r <= rounds; r++) {
  console.error(`round ${r}/${rounds}: libsignal-client ...`);
  ls.push(measure<ProtocolFigures>('./libsignal-bench.ts'));
  console.error(`round ${r}/${rounds}: parley ...`);
  pa.push(measure<ParleyFigures>('./parley-bench.ts'));
}

const keys = ['setup_per_s', 'oneway_msgs_per_s', 'pingpong_msgs_per_s', 'wire_bytes_100'] as const;
type Key = (typeof keys)[number];
const medianOf = (runs: ProtocolFigures[], k: Key) => round1(median(runs.map((r) => r[k])));
const libsignal = Object.fromEntries(keys.map((k) => [k, medianOf(ls, k)])) as unknown as ProtocolFigures;
const parleyExtra = [
  'setup_unpinned_per_s',
  'wire_bytes_100_pq',
  'wire_bytes_100_v1',
  'oneway_v1_msgs_per_s',
  'pingpong_v1_msgs_per_s',
  'pq_epoch_msgs_100',
] as const;
const parley: ParleyFigures = {
  ...(Object.fromEntries(keys.map((k) => [k, medianOf(pa, k)])) as unknown as ProtocolFigures),
  ...(Object.fromEntries(parleyExtra.map((k) => [k, round1(median(pa.map((p) => p[k])))])) as Pick<
    ParleyFigures,
    (typeof parleyExtra)[number]
  >),
};
const perRound = (k: Key) => ratio(median(pa.map((p, i) => p[k] / (ls[i] as ProtocolFigures)[k])), 1);
const ratios = {
  setup: perRound('setup_per_s'),
  oneway: perRound('oneway_msgs_per_s'),
  pingpong: perRound('pingpong_msgs_per_s'),
  /** Parley v2 against Parley v1 (same process, same round): what the KEM ratchet costs. */
  pingpong_v2_vs_v1: ratio(median(pa.map((p) => p.pingpong_msgs_per_s / p.pingpong_v1_msgs_per_s)), 1),
  oneway_v2_vs_v1: ratio(median(pa.map((p) => p.oneway_msgs_per_s / p.oneway_v1_msgs_per_s)), 1),
};

const rows: [string, number, number, number][] = [
  ['setups/s', parley.setup_per_s, libsignal.setup_per_s, ratios.setup],
  ['one-way msgs/s', parley.oneway_msgs_per_s, libsignal.oneway_msgs_per_s, ratios.oneway],
  ['ping-pong msgs/s', parley.pingpong_msgs_per_s, libsignal.pingpong_msgs_per_s, ratios.pingpong],
  [
    'bytes on wire (100 B)',
    parley.wire_bytes_100,
    libsignal.wire_bytes_100,
    ratio(parley.wire_bytes_100, libsignal.wire_bytes_100),
  ],
];
console.error(
  `\n${'median of rounds'.padEnd(24)}${'parley'.padStart(12)}${'libsignal'.padStart(12)}${'ratio'.padStart(8)}`,
);
for (const [name, p, l, q] of rows) {
  console.error(`${name.padEnd(24)}${String(p).padStart(12)}${String(l).padStart(12)}${String(q).padStart(8)}`);
}
console.error(`(parley setups/s verifying both identity certificates each time: ${parley.setup_unpinned_per_s})`);
console.error(
  `(parley figures are protocol v2, KEM ratchet on; v1: one-way ${parley.oneway_v1_msgs_per_s}/s, ping-pong ` +
    `${parley.pingpong_v1_msgs_per_s}/s, ${parley.wire_bytes_100_v1} bytes; v2 worst case ${parley.wire_bytes_100_pq} ` +
    `bytes; one KEM epoch every ${parley.pq_epoch_msgs_100} ping-pong messages)\n`,
);
console.log(JSON.stringify({ parley, libsignal, ratio: ratios }));
