/**
 * `npm run bench:mailbox` keeps working: a short run prints its figures and ends with one JSON
 * object, in which every send into the full mailbox was refused. The times are not judged here
 * (benchmarks report, tests do not time).
 */
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it('bench:mailbox fills a mailbox, times deliveries and refusals, and prints its JSON summary last', () => {
  const r = runBench('mailbox-bench.ts', ['--waiting', '200', '--sends', '50']);
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  expect(summary).toMatchObject({ waiting: 200, sends: 50, refused: [50, 50, 50] });
  for (const ms of [summary.into_busy_ms, summary.into_empty_ms, ...summary.refused_ms]) expect(ms).toBeGreaterThan(0);
  expect(r.stderr).toContain('sends into a full mailbox');
}, 150_000);
