/**
 * `npm run bench:flood` keeps working: a short run times the well-behaved client (/health and a
 * proof round trip) on a quiet server and under a flood with prekey drainers, the flood is
 * answered and refused, the drainers are served, the server's peak RSS is read, and it ends with
 * one JSON object. The times are not judged here (benchmarks report, tests do not time).
 */
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it('bench:flood times a well-behaved client on a quiet server and under a flood and a drain, and prints its JSON summary last', () => {
  const r = runBench('flood-bench.ts', ['--seconds', '1', '--flooders', '2']);
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  expect(summary).toMatchObject({ seconds: 1, flooders: 2 });
  expect(summary.quiet.flood_challenges_per_s).toBe(0);
  for (const phase of [summary.quiet, summary.flood_2]) {
    for (const ms of [phase.health_p50_ms, phase.health_p99_ms, phase.proof_p50_ms, phase.proof_p99_ms])
      expect(ms).toBeGreaterThan(0);
    expect(phase.proofs).toBeGreaterThan(0);
    expect(phase.server_peak_rss_mib).toBeGreaterThan(0);
  }
  expect(summary.flood_2.flood_challenges_per_s).toBeGreaterThan(0);
  expect(summary.flood_2.flood_refused_per_s).toBeGreaterThan(0);
  expect(summary.flood_2.bundles_per_s).toBeGreaterThan(0);
  expect(r.stderr).toContain('2 flooding + 2 draining:');
}, 150_000);
