/**
 * `npm run bench:server` keeps working: a short run (20 clients, 3 messages each, 2 rounds)
 * prints its figures and ends with one JSON object in the shape the home-server issue asks for,
 * with one ratio per round; with the binary frames by default, and with `--json` the JSON ones.
 * The figures themselves are not judged here (benchmarks report, tests do not time).
 */
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it('bench:server runs both sides in turn and prints its JSON summary last', () => {
  const r = runBench('server-bench.ts', ['--clients', '20', '--messages', '3', '--rounds', '2']);
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  for (const f of [
    summary.server.msgs_per_s,
    summary.server.p50_ms,
    summary.server.p99_ms,
    summary.server.half_load_p99_ms,
    summary.bare_relay.msgs_per_s,
    summary.ratio,
  ])
    expect(f).toBeGreaterThan(0);
  expect(summary.server.rss_kb_per_conn).toBeTypeOf('number');
  // The server said what its heap held before and after the clients connected (server-gc-hook.mjs).
  expect(summary.server.live_kb_per_conn).toBeGreaterThan(0);
  expect(summary.ratios).toHaveLength(2);
  expect(summary.server.rounds).toHaveLength(2);
  expect(summary.server.half_load_p99_rounds).toHaveLength(2);
  expect(summary.frames).toBe('binary');
  expect(r.stderr).toContain('round 2:');
}, 150_000);

it('bench:server --json runs on the JSON frames', () => {
  const r = runBench('server-bench.ts', ['--clients', '10', '--messages', '2', '--rounds', '1', '--json']);
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  expect(summary.frames).toBe('json');
  expect(summary.server.msgs_per_s).toBeGreaterThan(0);
  expect(summary.server.p50_ms).toBeGreaterThan(0); // the latency bookkeeping read the JSON pushes
  expect(r.stderr).toContain('JSON frames');
}, 150_000);
