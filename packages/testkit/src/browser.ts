/**
 * Headless Chromium for the browser tests (the web client, the SDK's IndexedDB store): Debian's
 * `chromium`, driven by playwright-core (which never downloads a browser of its own).
 * `npm test` installs the package when it is missing (scripts/ensure-deps.mjs --test);
 * `PARLEY_CHROMIUM` points at another binary.
 *
 * Flags: headless, no sandbox (CI runs as root), and no background networking, component updates
 * or sync — this machine's network is closed, and Chromium would otherwise open (and be refused)
 * many connections at every start.
 */
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { afterAll } from 'vitest';

export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM_PATH)
    ? null
    : `Chromium is not at ${CHROMIUM_PATH}: install Debian's chromium (npm test does, as root) or set PARLEY_CHROMIUM`;
}

/** A headless Chromium; each test opens its own contexts (separate profiles: storage, locks). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * One Chromium for the tests of a file, closed after them. `context()` opens a fresh browser
 * context (its own IndexedDB, locks and storage, like another person's browser), closed with the
 * browser. Call at the top level of a test file; use `describe.skipIf(chromiumMissing())`.
 */
export function useBrowser(): { browser(): Promise<Browser>; context(): Promise<BrowserContext> } {
  let launched: Promise<Browser> | undefined;
  const browser = () => {
    launched ??= launchChromium();
    return launched;
  };
  afterAll(async () => {
    if (launched !== undefined) await (await launched).close();
  });
  return { browser, context: async () => (await browser()).newContext() };
}
