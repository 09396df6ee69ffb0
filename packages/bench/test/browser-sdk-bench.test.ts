/**
 * `npm run bench:browser-sdk` keeps working: a short run (one derivation of each KDF, a few
 * commits) measures both SDK entries with both bundlers and the timings in Chromium, and ends
 * with one JSON object. The times are not judged here (benchmarks report, tests do not time).
 */
import { chromiumMissing } from '@parley/testkit/browser';
import { expect, it } from 'vitest';
import { runBench } from './run-bench.ts';

it.skipIf(chromiumMissing())(
  'bench:browser-sdk prints bundle sizes and Chromium timings, then its JSON summary',
  () => {
    const r = runBench('browser-sdk-bench.ts', ['--kdf-runs', '1', '--commits', '5'], 170_000);
    expect(r.status, r.stderr).toBe(0);
    const { sizes, chromium } = r.summary;
    for (const entry of ['@parley/client', '@parley/client/browser']) {
      const { esbuild, rolldown } = sizes[entry];
      expect(esbuild.gzipped).toBeGreaterThan(0);
      expect(esbuild.minified).toBeGreaterThan(esbuild.gzipped);
      expect(esbuild.zod).toBeGreaterThan(0);
      expect(rolldown.minified).toBeGreaterThan(rolldown.gzipped);
    }
    expect(chromium.kdf.scrypt.median).toBeGreaterThan(0); // whole milliseconds at least
    const { pbkdf2 } = chromium.kdf;
    for (const t of [pbkdf2, chromium.store.commitBare, chromium.store.commitEncrypted, chromium.store.list]) {
      expect(Number.isFinite(t.median) && t.min <= t.median && t.median <= t.max).toBe(true);
    }
  },
  180_000,
);
