/**
 * `npm run bench:browser-sdk`: what the SDK costs in a browser (docs/client.md "Browser storage",
 * docs/benchmarks.md).
 *
 * - Bundle size of the SDK's two browser entries (`@parley/client`, `@parley/client/browser`),
 *   bundled by esbuild for the browser and minified, raw and gzipped (level 9), with zod's share.
 * - In headless Chromium (Debian's, through playwright-core): the store key derivation at the
 *   default cost (scrypt N = 2^17, r = 8, p = 1 with @noble/hashes' scryptAsync) and, for
 *   context only, WebCrypto's native PBKDF2-SHA256 at OWASP's 600,000 iterations; one IndexedDB
 *   commit of a 1 KiB record (durability 'strict'), bare and encrypted; listing 1,000 records.
 *
 * Prints one line per figure, then one JSON line. Options: --kdf-runs N (default 3),
 * --commits N (default 200).
 */
import { gzipSync } from 'node:zlib';
import { launchChromium } from '@parley/testkit/browser';
import { servePage } from '@parley/testkit/page-server';
import { build } from 'esbuild';
import { isMain } from './measure.ts';

const ENTRIES = { '@parley/client': '@parley/client', '@parley/client/browser': '@parley/client/browser' } as const;

interface BundleSize {
  readonly minified: number;
  readonly gzipped: number;
  /** Minified bytes that come from zod. */
  readonly zod: number;
}

async function bundleSize(entry: string): Promise<BundleSize> {
  const result = await build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: import.meta.dirname, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['browser'],
    minify: true,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array(0);
  const inputs = Object.values(result.metafile.outputs)[0]?.inputs ?? {};
  const zod = Object.entries(inputs)
    .filter(([path]) => /node_modules\/zod\//.test(path))
    .reduce((sum, [, v]) => sum + v.bytesInOutput, 0);
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, zod };
}

/** The page: the browser entry's store pieces and the timings, run on the page's own clock. */
const PAGE = `
import { browserStoreCrypto, EncryptedRecordStore, IndexedDbRecordStore } from '@parley/client/browser';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(runs, op) {
  const ms = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); await op(i); ms.push(performance.now() - t); }
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms) };
}
globalThis.bench = {
  async kdf(runs) {
    const password = new TextEncoder().encode('correct horse battery staple');
    const salt = browserStoreCrypto.randomBytes(16);
    const scrypt = await time(runs, () => browserStoreCrypto.scrypt(password, salt, { N: 2 ** 17, r: 8, p: 1 }, 32));
    const key = await crypto.subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
    const pbkdf2 = await time(runs, () =>
      crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 600000 }, key, 256));
    return { scrypt, pbkdf2 };
  },
  async store(commits) {
    const value = browserStoreCrypto.randomBytes(1024);
    const bare = await IndexedDbRecordStore.open('bench-bare');
    const commitBare = await time(commits, (i) => bare.commit([{ kind: 'k', id: 'r' + String(i).padStart(6, '0'), value }]));
    await bare.commit(Array.from({ length: 1000 }, (_, i) => ({ kind: 'l', id: 'r' + String(i).padStart(6, '0'), value })));
    const list = await time(5, () => bare.list('l'));
    await bare.close();
    const encrypted = await EncryptedRecordStore.create(await IndexedDbRecordStore.open('bench-encrypted'), 'p', browserStoreCrypto, { kdf: { N: 1024, r: 8, p: 1 } });
    const commitEncrypted = await time(commits, (i) => encrypted.commit([{ kind: 'k', id: 'r' + String(i).padStart(6, '0'), value }]));
    await encrypted.close();
    return { commitBare, commitEncrypted, list };
  },
};
`;

async function inChromium(kdfRuns: number, commits: number) {
  const bundle = await build({
    stdin: { contents: PAGE, resolveDir: import.meta.dirname, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['browser'],
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  // The page needs an origin (IndexedDB); nothing is passed on, so the target is never reached.
  const site = await servePage(bundle.outputFiles[0]?.text ?? '', 'http://127.0.0.1:9');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(site.url);
    await page.waitForFunction(() => 'bench' in globalThis);
    type Timing = { median: number; min: number; max: number };
    type Bench = {
      kdf(runs: number): Promise<{ scrypt: Timing; pbkdf2: Timing }>;
      store(commits: number): Promise<{ commitBare: Timing; commitEncrypted: Timing; list: Timing }>;
    };
    const kdf = await page.evaluate((n) => (globalThis as unknown as { bench: Bench }).bench.kdf(n), kdfRuns);
    const store = await page.evaluate((n) => (globalThis as unknown as { bench: Bench }).bench.store(n), commits);
    return { version: browser.version(), kdf, store };
  } finally {
    await browser.close();
    await site.close();
  }
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const n = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`${name} takes a positive integer`);
  return n;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (t: { median: number; min: number; max: number }) =>
  `${t.median.toFixed(1)} ms (min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)})`;

export async function main(): Promise<void> {
  const kdfRuns = option('--kdf-runs', 3);
  const commits = option('--commits', 200);
  const sizes: Record<string, BundleSize> = {};
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const s = await bundleSize(entry);
    sizes[name] = s;
    console.log(`${name}: ${kb(s.minified)} minified, ${kb(s.gzipped)} gzipped (zod ${kb(s.zod)} of the minified)`);
  }
  const chromium = await inChromium(kdfRuns, commits);
  console.log(`Chromium ${chromium.version}`);
  console.log(`scrypt N=2^17 r=8 p=1 (noble scryptAsync), median of ${kdfRuns}: ${ms(chromium.kdf.scrypt)}`);
  console.log(`PBKDF2-SHA256 600,000 iterations (WebCrypto), median of ${kdfRuns}: ${ms(chromium.kdf.pbkdf2)}`);
  console.log(`IndexedDB commit of 1 KiB, median of ${commits}: ${ms(chromium.store.commitBare)}`);
  console.log(`  encrypted (AES-256-GCM, noble): ${ms(chromium.store.commitEncrypted)}`);
  console.log(`IndexedDB list of 1,000 records of 1 KiB, median of 5: ${ms(chromium.store.list)}`);
  console.log(JSON.stringify({ sizes, chromium }));
}

if (isMain(import.meta.url)) await main();
