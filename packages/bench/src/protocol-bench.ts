/**
 * `npm run bench:protocol`: Parley's protocol core side by side with Signal's libsignal-client,
 * in one process, on the same machine and terms (see parley-bench.ts and libsignal-bench.ts).
 *
 * Shared machines are noisy (we have seen ±30% between back-to-back runs), so the two libraries
 * are measured in alternating rounds; each figure reported is the median over the rounds, and
 * each ratio is the median of the per-round ratios, so both sides of a ratio saw the same noise.
 * The last line printed is one JSON object with both sets of figures and the ratios.
 *
 * Options: --rounds N (default 3) --setups N (default 300) --oneway N (default 20000)
 *          --pingpong N (default 4000)
 */
import { parseArgs } from 'node:util';
import { type BenchOptions, benchLibsignal, type ProtocolFigures } from './libsignal-bench.ts';
import { round1 } from './measure.ts';
import { benchParley, type ParleyFigures } from './parley-bench.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    setups: { type: 'string' },
    oneway: { type: 'string' },
    pingpong: { type: 'string' },
  },
});
const count = (v: string | undefined, d: number): number => {
  const n = v === undefined ? d : Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error('counts must be positive integers, e.g. --rounds 3 --setups 300');
    process.exit(2);
  }
  return n;
};
const rounds = count(values.rounds, 3);
const opts: BenchOptions = {
  setups: count(values.setups, 300),
  oneway: count(values.oneway, 20000),
  pingpong: count(values.pingpong, 4000),
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const medianOf = <T extends object>(runs: T[], key: keyof T): number =>
  round1(median(runs.map((r) => r[key] as number)));
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

console.error(
  `protocol benchmark: ${rounds} rounds of ${opts.setups} setups, ${opts.oneway} one-way, ${opts.pingpong} ping-pong messages`,
);
const ls: ProtocolFigures[] = [];
const pa: ParleyFigures[] = [];
for (let r = 1; r <= rounds; r++) {
  console.error(`round ${r}/${rounds}: libsignal-client ...`);
  ls.push(await benchLibsignal(opts));
  console.error(`round ${r}/${rounds}: parley ...`);
  pa.push(benchParley(opts));
}

const keys = ['setup_per_s', 'oneway_msgs_per_s', 'pingpong_msgs_per_s', 'wire_bytes_100'] as const;
const libsignal = Object.fromEntries(keys.map((k) => [k, medianOf(ls, k)])) as unknown as ProtocolFigures;
const parley = {
  ...Object.fromEntries(keys.map((k) => [k, medianOf(pa, k)])),
  setup_unpinned_per_s: medianOf(pa, 'setup_unpinned_per_s'),
} as ParleyFigures;
const perRound = (k: (typeof keys)[number]) =>
  Math.round(median(pa.map((p, i) => (p[k] as number) / ((ls[i] as ProtocolFigures)[k] as number))) * 100) / 100;
const ratios = {
  setup: perRound('setup_per_s'),
  oneway: perRound('oneway_msgs_per_s'),
  pingpong: perRound('pingpong_msgs_per_s'),
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
console.error(`(parley setups/s verifying both identity certificates each time: ${parley.setup_unpinned_per_s})\n`);
console.log(JSON.stringify({ parley, libsignal, ratio: ratios }));
