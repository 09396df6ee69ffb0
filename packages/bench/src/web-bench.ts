/**
 * `npm run bench:web`: the web client as a person meets it, on loopback, in headless Chromium
 * (Debian's, through playwright-core), with the app built as `npm start` builds it and served by
 * a real `parley-server` (issue 19, "What it must show"; docs/benchmarks.md "Web client").
 *
 * - **Size**: the JavaScript of the first load — what index.html loads (its module script and
 *   modulepreloads) and, measured in the browser, every script fetched from opening the app to
 *   an unlocked profile — raw, gzip -9 and brotli (quality 11) per file, summed; CSS beside it.
 * - **First render**: `--loads` cold loads (a fresh browser context each, so an empty cache;
 *   one load before them not counted, the browser's own first):
 *   first contentful paint, and the first screen (its first button in the DOM), from navigation
 *   start.
 * - **Unlock**: `--unlocks` reloads of a page holding one profile: from navigation start to the
 *   unlocked app (its main navigation in the DOM) with the passphrase submitted as soon as the
 *   form shows, and from the submit to unlocked (scrypt and opening the profile).
 * - **Send → shown**: two browser contexts that met by invitation; `--messages` texts sent one at
 *   a time from one, each timed from Enter in the sender's composer (its keydown) to its
 *   `<li>` in the receiver's DOM (both pages' clocks are the browser's: performance.timeOrigin +
 *   now), split at the moment the text's push frame reaches the receiving page's JavaScript. The
 *   first `WARMUP` are not counted.
 *
 * Medians and p95 over the runs. Last line: one JSON object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { launchChromium } from '@parley/testkit/browser';
import { startServer } from '@parley/testkit/server-process';
import {
  connect,
  createProfile,
  ensureWebApp,
  invite,
  openChat,
  submitUnlock,
  UNLOCK_TIMEOUT_MS,
  WEB_PASSPHRASE,
} from '@parley/testkit/web-app';
import type { BrowserContext, Page } from 'playwright-core';
import { parseCounts, percentile, round1 } from './measure.ts';

const { loads, unlocks, messages } = parseCounts<'loads' | 'unlocks' | 'messages'>(process.argv.slice(2), {
  loads: 10,
  unlocks: 5,
  messages: 200,
});
/** Sends not counted: the first connections, code paths and JIT warming up. */
const WARMUP = Math.min(10, Math.floor(messages / 10));

const say = (text: string) => process.stderr.write(`web bench: ${text}\n`);
const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const p95 = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    95,
  );

interface Sizes {
  readonly files: number;
  readonly raw: number;
  readonly gzip: number;
  readonly brotli: number;
}

const sizeCache = new Map<string, Sizes>();
/** Raw, gzip -9 and brotli (11) sizes of a file of the build, by its URL path. */
function sizesOf(dist: string, path: string): Sizes {
  let s = sizeCache.get(path);
  if (s === undefined) {
    const bytes = readFileSync(join(dist, path));
    s = {
      files: 1,
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
        },
      }).length,
    };
    sizeCache.set(path, s);
  }
  return s;
}

const sum = (all: readonly Sizes[]): Sizes =>
  all.reduce(
    (a, b) => ({ files: a.files + b.files, raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }),
    {
      files: 0,
      raw: 0,
      gzip: 0,
      brotli: 0,
    },
  );

/** The scripts and stylesheets index.html names (module entry, modulepreloads, stylesheets). */
function indexAssets(dist: string): { js: string[]; css: string[] } {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]+)"`).exec(tag)?.[1];
  const js: string[] = [];
  const css: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/g) ?? []) {
    if (tag.startsWith('<script')) {
      const src = attr(tag, 'src');
      if (src !== undefined) js.push(src);
    } else if (/rel="modulepreload"/.test(tag)) {
      const href = attr(tag, 'href');
      if (href !== undefined) js.push(href);
    } else if (/rel="stylesheet"/.test(tag)) {
      const href = attr(tag, 'href');
      if (href !== undefined) css.push(href);
    }
  }
  return { js, css };
}

/**
 * Marks the page records with its own clock, from before its first script: `screen` (the app's
 * first button), `unlocked` (its main navigation), `submitted` (the last form submit), and per
 * message marker `m-<i>-x` the time its sending was submitted (`sent`) or its incoming `<li>`
 * appeared (`shown`), both as performance.timeOrigin + now.
 */
async function instrument(page: Page): Promise<void> {
  await page.addInitScript({ content: INSTRUMENT });
}

/** The smallest frame counted as a pushed message: envelopes are padded to 64 bytes and more. */
const FRAME_BYTES = 150;

/**
 * Plain JavaScript, not a function of this file: tsx (esbuild, keepNames) wraps named functions
 * in a `__name` helper that does not exist in the page.
 */
const INSTRUMENT = `(() => {
  const w = window;
  w.__marks = {};
  w.__sent = {};
  w.__shown = {};
  w.__frames = [];
  // When each WebSocket frame big enough to carry a message (a padded envelope; not an
  // acknowledgement) reaches the page's JavaScript: a listener added before the SDK's onmessage.
  const Native = w.WebSocket;
  w.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const d = e.data;
        const size = typeof d === 'string' ? d.length : (d.byteLength ?? d.size ?? 0);
        if (size >= ${FRAME_BYTES}) w.__frames.push(performance.timeOrigin + performance.now());
      });
    }
  };
  const mark = (name) => {
    if (!(name in w.__marks)) w.__marks[name] = performance.now();
  };
  const marker = /m-(\\d+)-x/;
  const seen = (node) => {
    if (!(node instanceof Element)) return;
    for (const li of node.matches('li') ? [node] : Array.from(node.querySelectorAll('li'))) {
      if (li.getAttribute('data-direction') !== 'in') continue;
      const m = marker.exec(li.textContent || '');
      if (m && !(m[1] in w.__shown)) w.__shown[m[1]] = performance.timeOrigin + performance.now();
    }
  };
  new MutationObserver((records) => {
    if (!('screen' in w.__marks) && document.querySelector('#app button') !== null) mark('screen');
    if (!('unlocked' in w.__marks) && document.querySelector('nav[aria-label="Main"]') !== null) mark('unlocked');
    for (const r of records) for (const n of Array.from(r.addedNodes)) seen(n);
  }).observe(document, { subtree: true, childList: true });
  // A send starts at the form's submit (the Send button) or at Enter in the composer, which the
  // app handles on keydown: whichever comes first, before the app's own handlers (capture).
  const sending = (box) => {
    const m = marker.exec(box ? box.value : '');
    if (m && !(m[1] in w.__sent)) w.__sent[m[1]] = performance.timeOrigin + performance.now();
  };
  document.addEventListener('submit', (e) => {
    w.__marks.submitted = performance.now();
    sending(e.target.querySelector('textarea'));
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && e.target instanceof HTMLTextAreaElement) sending(e.target);
  }, true);
})();`;

const marks = (page: Page) => page.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks);

say('building the web app if needed …');
const dist = ensureWebApp();
const server = await startServer(['--web-dir', dist]);
const browser = await launchChromium();
/** Script URLs fetched from the server, across the first load and unlock of a profile. */
const fetched = new Set<string>();
const newContext = async (): Promise<BrowserContext> => {
  const context = await browser.newContext();
  context.on('response', (r) => {
    if (r.request().resourceType() === 'script' && r.url().startsWith(server.url))
      fetched.add(new URL(r.url()).pathname);
  });
  return context;
};

try {
  // --- First render: cold loads.
  const fcp: number[] = [];
  const screen: number[] = [];
  // One load first, not counted: the browser's own first page (its processes, caches) is slower.
  for (let i = -1; i < loads; i++) {
    const context = await newContext();
    const page = await context.newPage();
    await instrument(page);
    await page.goto(server.url);
    await page.waitForFunction(() => 'screen' in (window as unknown as { __marks: object }).__marks);
    const paint = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
    );
    if (i >= 0) {
      fcp.push(paint);
      screen.push((await marks(page)).screen ?? Number.NaN);
    }
    await context.close();
  }
  say(
    `first render (${loads} cold loads): contentful paint ${round1(median(fcp))} ms, first screen ${round1(median(screen))} ms (medians)`,
  );

  // --- Unlock: one profile, reloaded.
  const toUnlocked: number[] = [];
  const unlock: number[] = [];
  const holder = await newContext();
  const page = await holder.newPage();
  await instrument(page);
  await page.goto(server.url);
  await createProfile(page, { profile: 'bench', name: 'Bench' });
  let persisted = true;
  for (let i = 0; i < unlocks && persisted; i++) {
    await page.reload();
    const unlockButton = page.getByRole('button', { name: 'Unlock' });
    await Promise.race([unlockButton.waitFor(), page.getByRole('button', { name: 'Create profile' }).waitFor()]);
    if (!(await unlockButton.isVisible())) {
      persisted = false; // the SDK's browser platform is a stand-in that keeps nothing across a reload
      break;
    }
    await submitUnlock(page, WEB_PASSPHRASE);
    await page.waitForFunction(() => 'unlocked' in (window as unknown as { __marks: object }).__marks, undefined, {
      timeout: UNLOCK_TIMEOUT_MS,
    });
    const m = await marks(page);
    toUnlocked.push(m.unlocked ?? Number.NaN);
    unlock.push((m.unlocked ?? Number.NaN) - (m.submitted ?? Number.NaN));
  }
  await holder.close();
  if (persisted) {
    say(
      `unlock (${unlocks} reloads): navigation → unlocked ${round1(median(toUnlocked))} ms, submit → unlocked ${round1(median(unlock))} ms (medians)`,
    );
  } else say('unlock: not measured, the profile did not survive a reload (no persistent browser store in this build)');

  // --- Send → shown.
  const aliceContext = await newContext();
  const bobContext = await newContext();
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();
  await instrument(alice);
  await instrument(bob);
  await alice.goto(server.url);
  await bob.goto(server.url);
  await createProfile(alice, { profile: 'alice', name: 'Alice' });
  await createProfile(bob, { profile: 'bob', name: 'Bob' });
  await connect(bob, await invite(alice), 'Alice');
  await openChat(alice, 'Bob');
  const composer = alice.getByLabel('Message', { exact: true });
  await composer.waitFor();
  await alice.waitForFunction(() => !document.querySelector('form.composer textarea')?.hasAttribute('disabled'));
  const latencies: number[] = [];
  /** Per text: Enter → its push reaches the receiving page, and from there → its <li>. */
  const toPush: number[] = [];
  const pushToShown: number[] = [];
  for (let i = 0; i < messages; i++) {
    await composer.fill(`m-${i}-x`);
    await composer.press('Enter');
    await bob.waitForFunction((n) => String(n) in (window as unknown as { __shown: object }).__shown, i, {
      timeout: 30_000,
    });
    if (i < WARMUP) continue;
    const [sent, shown] = await Promise.all([
      alice.evaluate((n) => (window as unknown as { __sent: Record<string, number> }).__sent[String(n)], i),
      bob.evaluate((n) => (window as unknown as { __shown: Record<string, number> }).__shown[String(n)], i),
    ]);
    latencies.push((shown ?? Number.NaN) - (sent ?? Number.NaN));
    // The last big frame Bob's page got between the send and the <li>: the text's push (the
    // only message in flight; typing notices come before it, receipts go the other way).
    const frame = await bob.evaluate(
      ([from, to]) =>
        (window as unknown as { __frames: number[] }).__frames.filter((t) => t >= from && t <= to).at(-1) ?? null,
      [sent ?? Number.NaN, shown ?? Number.NaN] as const,
    );
    if (frame !== null && sent !== undefined && shown !== undefined) {
      toPush.push(frame - sent);
      pushToShown.push(shown - frame);
    }
  }
  say(
    `send → shown (${latencies.length} texts after ${WARMUP} warm-up): median ${round1(median(latencies))} ms, p95 ${round1(p95(latencies))} ms`,
  );
  say(
    `  of which Enter → push in the receiving page: median ${round1(median(toPush))} ms; push → shown: median ${round1(median(pushToShown))} ms (${toPush.length} matched)`,
  );

  // --- Size of the first load.
  const index = indexAssets(dist);
  const indexJs = sum(index.js.map((p) => sizesOf(dist, p)));
  const css = sum(index.css.map((p) => sizesOf(dist, p)));
  const loadedJs = sum([...fetched].map((p) => sizesOf(dist, p)));
  const kb = (n: number) => `${round1(n / 1024)} KB`;
  say(
    `JavaScript of index.html: ${indexJs.files} files, ${kb(indexJs.raw)} raw, ${kb(indexJs.gzip)} gzip -9, ${kb(indexJs.brotli)} brotli`,
  );
  say(
    `JavaScript fetched up to an unlocked profile: ${loadedJs.files} files, ${kb(loadedJs.raw)} raw, ${kb(loadedJs.gzip)} gzip -9, ${kb(loadedJs.brotli)} brotli; CSS ${kb(css.gzip)} gzip -9`,
  );

  console.log(
    JSON.stringify({
      loads,
      unlocks: persisted ? unlocks : 0,
      messages,
      warmup: WARMUP,
      index_js_files: indexJs.files,
      index_js_bytes: indexJs.raw,
      index_js_gzip: indexJs.gzip,
      index_js_brotli: indexJs.brotli,
      first_load_js_files: loadedJs.files,
      first_load_js_bytes: loadedJs.raw,
      first_load_js_gzip: loadedJs.gzip,
      first_load_js_brotli: loadedJs.brotli,
      css_gzip: css.gzip,
      first_contentful_paint_ms: round1(median(fcp)),
      first_screen_ms: round1(median(screen)),
      navigation_to_unlocked_ms: persisted ? round1(median(toUnlocked)) : null,
      unlock_ms: persisted ? round1(median(unlock)) : null,
      send_to_shown_median_ms: round1(median(latencies)),
      send_to_shown_p95_ms: round1(p95(latencies)),
      send_to_push_median_ms: round1(median(toPush)),
      push_to_shown_median_ms: round1(median(pushToShown)),
    }),
  );
} finally {
  await browser.close();
  await server.stop();
}
