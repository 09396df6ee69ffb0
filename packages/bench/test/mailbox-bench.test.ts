/**
 * `npm run bench:mailbox` keeps working: a short run prints its figures and ends with one JSON
 * object, in which every send into the full mailbox was refused. The times are not judged here
 * (benchmarks report, tests do not time).
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const BENCH = new URL('../src/mailbox-bench.ts', import.meta.url).pathname;
const TSX = new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;

it('bench:mailbox fills a mailbox, times deliveries and refusals, and prints its JSON summary last', () => {
  const r = spawnSync(process.execPath, [TSX, BENCH, '--waiting', '200', '--sends', '50'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] as string);
  expect(summary).toMatchObject({ waiting: 200, sends: 50, refused: [50, 50, 50] });
  for (const ms of [summary.into_busy_ms, summary.into_empty_ms, ...summary.refused_ms]) expect(ms).toBeGreaterThan(0);
  expect(r.stderr).toContain('sends into a full mailbox');
}, 150_000);
