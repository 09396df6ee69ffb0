/**
 * `npm run bench:flood` keeps working: a short run times the well-behaved client in all three
 * phases, the flooders are answered in the two that have them, and it ends with one JSON object.
 * The times are not judged here (benchmarks report, tests do not time).
 */
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it('bench:flood times a well-behaved client on a quiet server and under two floods, and prints its JSON summary last', () => {
  const r = runBench('flood-bench.ts', ['--seconds', '1', '--flooders', '2']);
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  expect(summary).toMatchObject({ seconds: 1, flooders: 2 });
  expect(summary.quiet.flood_per_s).toBe(0);
  for (const phase of [summary.quiet, summary.flood_1, summary.flood_2]) {
    for (const ms of [phase.health_p50_ms, phase.health_p99_ms, phase.challenge_p50_ms, phase.challenge_p99_ms])
      expect(ms).toBeGreaterThan(0);
  }
  expect(summary.flood_1.flood_per_s).toBeGreaterThan(0);
  expect(summary.flood_2.flood_per_s).toBeGreaterThan(0);
  expect(r.stderr).toContain('2 flooding:');
}, 150_000);
