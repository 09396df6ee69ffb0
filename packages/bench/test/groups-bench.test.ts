/**
 * `npm run bench:groups` keeps working: a short run (4 and 8 members, both providers, 3
 * messages) prints its figures and ends with one JSON object of positive numbers. The figures
 * themselves are not judged here (benchmarks report, tests do not time).
 */
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it('bench:groups runs end to end and prints its JSON summary last', () => {
  const r = runBench('groups-bench.ts', ['--sizes', '4,8', '--repeat', '1', '--messages', '3'], 240_000);
  expect(r.status, r.stderr).toBe(0);
  const { summary } = r;
  expect(summary.bench).toBe('groups');
  for (const size of ['4', '8']) {
    const f = summary.figures[size];
    expect(f.members).toBe(Number(size));
    expect(f.message100Bytes).toBeGreaterThan(100);
    for (const provider of ['parley', 'ts-mls default']) {
      for (const step of [f.full[provider], f.sparse[provider]]) {
        for (const ms of [step.removeCreateMs, step.removeProcessMs, step.addCreateMs, step.addProcessMs]) {
          expect(ms).toBeGreaterThan(0);
        }
      }
      expect(f.full[provider].messageEncryptDecryptMs).toBeGreaterThan(0);
    }
  }
}, 270_000);
