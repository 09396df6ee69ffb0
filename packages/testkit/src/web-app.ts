/**
 * The built web app for browser tests and `bench:web`.
 *
 * `ensureWebApp()` builds packages/web into packages/web/dist when it is missing or stale — the
 * same script `npm start` runs (scripts/ensure-web.mjs), so tests and benchmarks load what a user
 * gets — and returns the directory to give `parley-server --web-dir`. `PARLEY_WEB_DIST` names an
 * app built elsewhere instead (nothing is built then).
 *
 * The user-level steps (create a profile, invite, use a link, open a chat, send) drive the app as
 * a person does, by the accessible names of design §3 (labels, button texts, landmarks), so tests
 * and the benchmark share one description of the app's screens. Imports nothing from vitest.
 *
 * @example
 * ```ts
 * beforeAll(() => ensureWebApp(), BUILD_TIMEOUT_MS);
 * const server = useTestServer(['--web-dir', webDist()]);
 * await page.goto(server.url);
 * await createProfile(page, { profile: 'alice', name: 'Alice' });
 * ```
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { SERVER_BIN } from './server-process.ts';

/** The repository: three levels above the server's launcher (packages/server/bin). */
export const REPO_ROOT = join(dirname(SERVER_BIN), '..', '..', '..');
/** A cold Vite build on a busy 2-core machine. */
export const BUILD_TIMEOUT_MS = 180_000;
/** A passphrase for browser profiles (the CLI kit's, so both sides of a test read alike). */
export const WEB_PASSPHRASE = 'correct horse battery staple';
/** Creating or unlocking a profile runs scrypt in the page: seconds on a busy machine. */
export const UNLOCK_TIMEOUT_MS = 60_000;

/** Where the app to serve is: PARLEY_WEB_DIST, or packages/web/dist. */
export function webDist(): string {
  return process.env.PARLEY_WEB_DIST ?? join(REPO_ROOT, 'packages', 'web', 'dist');
}

/** Builds the app if needed (a no-op taking milliseconds when it is current); throws with the build's output. */
export function ensureWebApp(): string {
  if (process.env.PARLEY_WEB_DIST !== undefined) return webDist();
  const env = { ...process.env };
  delete env.PARLEY_NO_WEB;
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'ensure-web.mjs')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env,
    timeout: BUILD_TIMEOUT_MS,
  });
  if (r.status !== 0) throw new Error(`the web app did not build:\n${r.stdout}\n${r.stderr}`);
  return webDist();
}

/** The unlocked app's main navigation: present once a profile is open. */
export const mainNav = (page: Page): Locator => page.getByRole('navigation', { name: 'Main' });

/** Fills the create-profile form (the first screen of a fresh browser) and waits until it is open. */
export async function createProfile(
  page: Page,
  o: { profile: string; name: string; passphrase?: string; server?: string },
): Promise<void> {
  const create = page.getByRole('button', { name: 'Create profile' });
  const another = page.getByRole('button', { name: 'New profile' });
  // The first screen once the app has read which profiles this browser holds.
  await create.or(another).first().waitFor();
  if (!(await create.isVisible())) await another.click();
  await page.getByLabel('Profile name').fill(o.profile);
  await page.getByLabel('Your name').fill(o.name);
  await page.getByLabel('Passphrase').fill(o.passphrase ?? WEB_PASSPHRASE);
  if (o.server !== undefined) await page.getByLabel('Server').fill(o.server);
  await create.click();
  await mainNav(page).waitFor({ timeout: UNLOCK_TIMEOUT_MS });
}

/** Unlocks the profile shown on the start screen (the only one, or `profile`); does not wait. */
export async function submitUnlock(page: Page, passphrase: string, profile?: string): Promise<void> {
  if (profile !== undefined && (await page.getByLabel('Profile').count()) > 0) {
    await page.getByLabel('Profile').selectOption(profile);
  }
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/** Makes a one-time invitation and returns its link (`parley://invite/…`). */
export async function invite(page: Page): Promise<string> {
  await mainNav(page).getByRole('button', { name: 'Add contact' }).click();
  await page.getByRole('button', { name: 'Invite someone' }).click();
  await page.getByRole('button', { name: 'Create invitation' }).click();
  const field = page.getByLabel('Invitation link');
  await field.waitFor();
  return field.inputValue();
}

/** Uses someone's link (an invitation) and lands in the conversation with them. */
export async function connect(page: Page, link: string, name?: string): Promise<void> {
  await mainNav(page).getByRole('button', { name: 'Add contact' }).click();
  await page.getByRole('button', { name: 'Use a link' }).click();
  await page.getByLabel('Invitation link').fill(link);
  if (name !== undefined) await page.getByLabel('Name for this contact').fill(name);
  await page.getByRole('button', { name: 'Connect' }).click();
  await messageLog(page).waitFor();
}

/**
 * Opens the conversation with `contact` (the first entry of the list whose text contains the
 * name: by text rather than accessible name, which drops some characters, e.g. bidi controls).
 */
export async function openChat(page: Page, contact: string): Promise<void> {
  await mainNav(page).getByRole('button', { name: 'Chats' }).click();
  await page
    .getByRole('navigation', { name: 'Conversations' })
    .getByRole('button')
    .filter({ hasText: contact })
    .first()
    .click();
  await messageLog(page).waitFor();
}

/** The open conversation's messages (`role="log"`, "Messages"). */
export const messageLog = (page: Page): Locator => page.getByRole('log', { name: 'Messages' });

/** Types `text` in the open conversation and sends it (once the composer is enabled). */
export async function sendText(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/** The last `<li>` of the open conversation whose text contains `text`. */
export function messageItem(page: Page, text: string, direction?: 'in' | 'out'): Locator {
  const items = messageLog(page).locator(direction === undefined ? 'li' : `li[data-direction="${direction}"]`);
  return items.filter({ hasText: text }).last();
}
