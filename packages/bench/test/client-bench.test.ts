/**
 * `npm run bench:client` keeps working: a short run (2 SDK messages, 1 CLI run) prints its
 * figures and ends with one JSON object of positive numbers. The figures themselves are not
 * judged here (benchmarks report, tests do not time).
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const BENCH = new URL('../src/client-bench.ts', import.meta.url).pathname;
const TSX = new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;

it('bench:client runs end to end and prints its JSON summary last', () => {
  const r = spawnSync(process.execPath, [TSX, BENCH, '--messages', '2', '--runs', '1'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] as string);
  const figures = [
    summary.sdk.send_to_receive_ms.p50,
    summary.sdk.open_ms,
    summary.cli.startup_ms,
    summary.cli.send_to_print_ms.p50,
  ];
  for (const f of figures) expect(f).toBeGreaterThan(0);
}, 150_000);
