/**
 * `npm run bench:web` keeps working: a short run builds the app if needed, loads it, sends a few
 * texts between two browsers and prints its JSON summary last, with a size for the first load.
 * The times are not judged here (benchmarks report, tests do not time).
 */
import { chromiumMissing } from '@parley/testkit/browser';
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it.skipIf(chromiumMissing())(
  'bench:web measures size, first render, unlock and send → shown, and prints its JSON summary last',
  () => {
    const r = runBench('web-bench.ts', ['--loads', '1', '--unlocks', '1', '--messages', '12'], 300_000);
    expect(r.status, r.stderr).toBe(0);
    const { summary } = r;
    expect(summary).toMatchObject({ loads: 1, messages: 12, warmup: 1 });
    expect(summary.first_load_js_files).toBeGreaterThan(0);
    expect(summary.first_load_js_gzip).toBeGreaterThan(0);
    expect(summary.first_load_js_brotli).toBeLessThan(summary.first_load_js_bytes);
    for (const key of [
      'first_contentful_paint_ms',
      'first_screen_ms',
      'send_to_shown_median_ms',
      'send_to_shown_p95_ms',
    ])
      expect(summary[key], key).toBeGreaterThan(0);
    expect(r.stderr).toContain('send → shown');
  },
  320_000,
);
