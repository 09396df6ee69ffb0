/**
 * `npm run bench:client` keeps working: a short run (2 SDK messages, 1 CLI run) prints its
 * figures and ends with one JSON object of positive numbers. The figures themselves are not
 * judged here (benchmarks report, tests do not time).
 */
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it('bench:client runs end to end and prints its JSON summary last', () => {
  const r = runBench('client-bench.ts', ['--messages', '2', '--runs', '1']);
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  const figures = [
    summary.sdk.send_to_receive_ms.p50,
    summary.sdk.open_ms,
    summary.cli.startup_ms,
    summary.cli.send_to_print_ms.p50,
  ];
  for (const f of figures) expect(f).toBeGreaterThan(0);
}, 150_000);
