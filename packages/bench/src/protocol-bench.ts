/**
 * `npm run bench:protocol`: Parley's protocol core side by side with Signal's libsignal-client,
 * in one process, on the same machine and terms (see parley-bench.ts and libsignal-bench.ts).
 * The last line printed is one JSON object with both sets of figures and the ratios
 * parley / libsignal.
 *
 * Options: --setups N (default 300) --oneway N (default 20000) --pingpong N (default 4000)
 */
import { parseArgs } from 'node:util';
import { type BenchOptions, benchLibsignal } from './libsignal-bench.ts';
import { benchParley } from './parley-bench.ts';

const { values } = parseArgs({
  options: { setups: { type: 'string' }, oneway: { type: 'string' }, pingpong: { type: 'string' } },
});
const count = (v: string | undefined, d: number): number => {
  const n = v === undefined ? d : Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error('counts must be positive integers');
    process.exit(2);
  }
  return n;
};
const opts: BenchOptions = {
  setups: count(values.setups, 300),
  oneway: count(values.oneway, 20000),
  pingpong: count(values.pingpong, 4000),
};

console.error(`protocol benchmark: ${opts.setups} setups, ${opts.oneway} one-way, ${opts.pingpong} ping-pong messages`);
console.error('running libsignal-client ...');
const libsignal = await benchLibsignal(opts);
console.error('running parley ...');
const parley = benchParley(opts);

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const rows: [string, number, number][] = [
  ['setups/s', parley.setup_per_s, libsignal.setup_per_s],
  ['one-way msgs/s', parley.oneway_msgs_per_s, libsignal.oneway_msgs_per_s],
  ['ping-pong msgs/s', parley.pingpong_msgs_per_s, libsignal.pingpong_msgs_per_s],
  ['bytes on wire (100 B)', parley.wire_bytes_100, libsignal.wire_bytes_100],
];
console.error(`\n${'figure'.padEnd(24)}${'parley'.padStart(12)}${'libsignal'.padStart(12)}${'ratio'.padStart(8)}`);
for (const [name, p, l] of rows) {
  console.error(
    `${name.padEnd(24)}${String(p).padStart(12)}${String(l).padStart(12)}${String(ratio(p, l)).padStart(8)}`,
  );
}
console.error(`(parley setups/s verifying both identity certificates each time: ${parley.setup_unpinned_per_s})\n`);
console.log(
  JSON.stringify({
    parley,
    libsignal,
    ratio: {
      setup: ratio(parley.setup_per_s, libsignal.setup_per_s),
      oneway: ratio(parley.oneway_msgs_per_s, libsignal.oneway_msgs_per_s),
      pingpong: ratio(parley.pingpong_msgs_per_s, libsignal.pingpong_msgs_per_s),
    },
  }),
);
