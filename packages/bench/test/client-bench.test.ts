/**
 * `npm run bench:client` keeps working: a short run (2 SDK messages, 1 CLI run, 50 messages of
 * history, 2 devices per account in the multi-device case) prints its figures and ends with one
 * JSON object of positive numbers. The figures themselves are not judged here (benchmarks
 * report, tests do not time).
 */
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it('bench:client runs end to end and prints its JSON summary last', () => {
  const r = runBench(
    'client-bench.ts',
    ['--messages', '2', '--runs', '1', '--history', '50', '--devices', '2'],
    240_000,
  );
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  const figures = [
    summary.sdk.send_to_receive_ms.p50,
    summary.sdk.open_ms,
    summary.cli.startup_ms,
    summary.cli.send_to_print_ms.p50,
    summary.multi_device.single.send_to_all_ms.p50,
    summary.multi_device.multi.send_to_all_ms.p50,
    summary.multi_device.ratio,
  ];
  for (const f of figures) expect(f).toBeGreaterThan(0);
  // The multi-device case ends with an error unless every message reached every device; here it
  // ran with 2 devices each, and sealed more envelopes per message than with one.
  expect(summary.multi_device.multi.devices).toBe(2);
  expect(summary.multi_device.multi.per_message.envelopes).toBeGreaterThan(
    summary.multi_device.single.per_message.envelopes,
  );
}, 270_000);
