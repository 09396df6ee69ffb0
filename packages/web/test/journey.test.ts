/**
 * The web app end to end (issue 19): two people, each in their own browser context, create
 * profiles, meet by invitation, verify each other, chat both ways with delivery and read receipts
 * and typing, and find everything again after a reload; a third meets them through a contact
 * address. The app is the production build, served with its strict CSP on the same origin as an
 * in-process Parley server.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { useInProcessServer } from '@parley/testkit';
import { chromiumMissing, useBrowser } from '@parley/testkit/browser';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppServer, buildApp, removeDir, serveApp } from './app-server.ts';
import {
  conversations,
  createProfile,
  invite,
  meet,
  messages,
  openChat,
  PASSPHRASE,
  SLOW,
  send,
  unlock,
  useLink,
} from './people.ts';

const server = useInProcessServer();
const browsers = useBrowser();
/** Where to write screenshots of the main screens (docs/screenshots), when set. */
const SHOTS = process.env.PARLEY_SCREENSHOTS;

describe.skipIf(chromiumMissing())('web app journeys', () => {
  let dist: string;
  let app: AppServer;
  const violations: string[] = [];

  beforeAll(async () => {
    dist = await buildApp();
    app = await serveApp(dist, server.url);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    if (dist !== undefined) removeDir(dist);
  }, 30_000);

  async function person(init?: () => void): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browsers.context();
    const page = await context.newPage();
    if (init !== undefined) await page.addInitScript(init);
    // Every CSP (and Trusted Types) violation the page reports, across reloads.
    await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      const report = (window as unknown as { reportViolation: (v: string) => void }).reportViolation;
      document.addEventListener('securitypolicyviolation', (e) => report(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Trusted Type/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(app.url);
    return { context, page };
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (SHOTS === undefined) return;
    mkdirSync(SHOTS, { recursive: true });
    // Notices come and go with timing: the pictures show the screens without them.
    for (const dismiss of await page.getByRole('button', { name: 'Dismiss notice' }).all()) await dismiss.click();
    const size = page.viewportSize();
    for (const [w, h, tag] of [
      [1280, 800, 'desktop'],
      [390, 844, 'phone'],
    ] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.screenshot({ path: join(SHOTS, `${name}-${tag}.png`) });
    }
    if (size !== null) await page.setViewportSize(size);
  }

  it('two people meet by invitation, verify, chat with receipts and typing, and keep it all after a reload', async () => {
    const alice = await person();
    const bob = await person();
    const a = alice.page;
    const b = bob.page;
    await a.getByRole('heading', { name: 'Welcome to Parley' }).waitFor();
    await expect(a.getByLabel('Server').inputValue()).resolves.toBe(app.url);
    await shot(a, 'create-profile');
    await createProfile(a, 'alice', 'Alice');
    await createProfile(b, 'bob', 'Bob');

    // Alice invites, Bob pastes the link.
    const link = await invite(a);
    expect(link).toMatch(/^parley:\/\/invite\//);
    await shot(a, 'invite');
    await expect(a.getByRole('img', { name: 'QR code of the invitation' }).count()).resolves.toBe(1);
    await useLink(b, link);
    await a.getByRole('button', { name: 'Done' }).click();
    // Bob is a contact on Alice's side once his hello arrives (pushed); Alice is on Bob's once her welcome does.
    await conversations(a).getByRole('button', { name: /^Bob/ }).waitFor(SLOW);
    await openChat(a, 'Bob');
    await b.getByRole('heading', { name: 'Alice' }).waitFor(SLOW);
    await b.getByRole('textbox', { name: 'Message' }).and(b.locator(':enabled')).waitFor(SLOW);

    // Both compare the safety number and mark each other verified.
    await a.getByRole('button', { name: 'Verify' }).click();
    await b.getByRole('button', { name: 'Verify' }).click();
    const number = async (p: Page, name: string) =>
      (await p.getByRole('list', { name: `Safety number with ${name}` }).innerText()).replace(/\s+/g, ' ').trim();
    const seenByAlice = await number(a, 'Bob');
    expect(seenByAlice).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(await number(b, 'Alice')).toBe(seenByAlice);
    await shot(a, 'verify');
    await a.getByRole('button', { name: 'Mark as verified' }).click();
    await b.getByRole('button', { name: 'Mark as verified' }).click();
    await a.getByText('✓ Verified: you compared this number with Bob.').waitFor();
    await b.getByText('✓ Verified: you compared this number with Alice.').waitFor();
    await a.getByRole('button', { name: /Back to the conversation/ }).click();
    await b.getByRole('button', { name: /Back to the conversation/ }).click();

    // Typing shows on the other side while Alice types; then the message, delivered and read.
    await a.getByRole('textbox', { name: 'Message' }).pressSequentially('Hello Bob');
    await b.getByRole('status').filter({ hasText: 'typing…' }).waitFor(SLOW);
    await a.getByRole('button', { name: 'Send', exact: true }).click();
    const fromAlice = messages(b).filter({ hasText: 'Hello Bob' });
    await fromAlice.waitFor(SLOW);
    await expect(fromAlice.getAttribute('data-direction')).resolves.toBe('in');
    await b
      .getByRole('status')
      .filter({ hasText: 'typing…' })
      .waitFor({ state: 'detached', ...SLOW });
    // Bob has the conversation open and visible: Alice's text becomes read.
    await messages(a).filter({ hasText: 'Hello Bob' }).and(a.locator('[data-status="read"]')).waitFor(SLOW);

    await send(b, 'Hi Alice — good to see you here');
    await messages(a).filter({ hasText: 'Hi Alice' }).and(a.locator('[data-direction="in"]')).waitFor(SLOW);
    await messages(b).filter({ hasText: 'Hi Alice' }).and(b.locator('[data-status="read"]')).waitFor(SLOW);
    await shot(a, 'conversation');

    // Alice leaves the conversation; Bob's next message counts as unread in her list.
    await a.getByRole('button', { name: 'Chats', exact: true }).click();
    await send(b, 'Are you there?');
    const bobEntry = conversations(a).getByRole('button', { name: /^Bob/ });
    await bobEntry.filter({ hasText: 'Are you there?' }).waitFor(SLOW);
    await bobEntry.locator('[data-unread="1"]').waitFor();
    await shot(a, 'conversations');

    // A reload locks the profile; unlocking brings everything back.
    await a.reload();
    await a.getByRole('heading', { name: 'Unlock your profile' }).waitFor();
    await shot(a, 'unlock');
    await unlock(a, 'not the passphrase');
    await a.getByRole('alert').waitFor(SLOW);
    await unlock(a, PASSPHRASE);
    await a.getByRole('heading', { name: 'Chats' }).waitFor(SLOW);
    await openChat(a, 'Bob');
    await messages(a).filter({ hasText: 'Are you there?' }).waitFor();
    await expect(messages(a).count()).resolves.toBe(3);
    await a.locator('#main').getByText('✓ verified').waitFor();
    // Opened, the conversation is read: the list says so.
    await conversations(a)
      .getByRole('button', { name: /^Bob/ })
      .locator('[data-unread]')
      .waitFor({ state: 'detached' });

    await a.getByRole('button', { name: 'Devices' }).click();
    await a.getByText('this browser').waitFor();
    await shot(a, 'devices');
    expect(violations).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  }, 240_000);

  it('a contact request through a contact address: published, requested with an introduction, accepted, a chat, then the profile deleted', async () => {
    const alice = await person();
    const carol = await person();
    const a = alice.page;
    const c = carol.page;
    await createProfile(a, 'alice', 'Alice');
    await createProfile(c, 'carol', 'Carol');

    await a.getByRole('button', { name: 'Add contact' }).first().click();
    await a.getByRole('button', { name: 'Your contact address' }).click();
    await a.getByRole('button', { name: 'Create contact address' }).click();
    const address = await a.getByLabel('Contact address', { exact: true }).inputValue();
    expect(address).toMatch(/^parley:\/\/address\//);

    await useLink(c, address, "Hi, it's Carol from the meetup");
    // Until Alice accepts, Carol's side waits (the contact has a placeholder name) and cannot write.
    await c.getByText(/has not answered yet: you can write once they accept/).waitFor();
    await expect(c.getByRole('textbox', { name: 'Message' }).isDisabled()).resolves.toBe(true);

    await a.getByRole('button', { name: 'Contact requests' }).click();
    await a.getByRole('button', { name: 'Check for new requests' }).click();
    await a.getByText("Hi, it's Carol from the meetup").waitFor(SLOW);
    await a.getByRole('button', { name: 'Accept Carol' }).click();
    await a.getByRole('heading', { name: 'Carol' }).waitFor(SLOW);

    await c.getByRole('heading', { name: 'Alice' }).waitFor(SLOW);
    await c.getByRole('textbox', { name: 'Message' }).and(c.locator(':enabled')).waitFor(SLOW);
    // With the keyboard alone: from the screen's heading (focused on arrival) Tab reaches the composer; Enter sends.
    const composerFocused = () => c.evaluate(() => document.activeElement?.tagName === 'TEXTAREA');
    for (let i = 0; i < 6 && !(await composerFocused()); i++) await c.keyboard.press('Tab');
    expect(await composerFocused()).toBe(true);
    await c.keyboard.type('Thanks for accepting');
    await c.keyboard.press('Enter');
    await messages(a).filter({ hasText: 'Thanks for accepting' }).waitFor(SLOW);

    // Carol locks and deletes her profile from this browser, after confirming.
    await c.getByRole('button', { name: 'Lock' }).click();
    await c.getByText('Profiles in this browser').click();
    await c.getByRole('button', { name: 'Delete…' }).click();
    await c.getByText('Delete profile carol from this browser?').waitFor();
    await c.getByRole('button', { name: 'Delete carol' }).click();
    await c.getByRole('heading', { name: 'Welcome to Parley' }).waitFor(SLOW);
    expect(violations).toEqual([]);
    await alice.context.close();
    await carol.context.close();
  }, 180_000);

  it("an invitation opened as the app's web link: the fragment leaves the address bar at once and the link waits for a profile", async () => {
    const alice = await person();
    const dave = await person();
    const a = alice.page;
    await createProfile(a, 'alice', 'Alice');
    await invite(a);
    const web = await a.getByLabel('Web link', { exact: true }).inputValue();
    expect(web.startsWith(`${app.url}/#invite=`)).toBe(true);

    const d = dave.page;
    await d.goto(web);
    await d.getByRole('heading', { name: 'Welcome to Parley' }).waitFor();
    // The one-time secret is gone from the URL and from this history entry.
    expect(d.url()).toBe(`${app.url}/`);
    await expect(d.evaluate(() => location.hash)).resolves.toBe('');
    await d.getByText('You opened a Parley link').waitFor();
    await createProfile(d, 'dave', 'Dave', 'Use a link');
    await expect(d.getByLabel('Invitation link').inputValue()).resolves.toMatch(/^parley:\/\/invite\//);
    await d.getByRole('button', { name: 'Connect' }).click();
    await d.getByRole('heading', { name: 'Alice' }).waitFor(SLOW);

    // Phone width: nothing sticks out sideways on the main screens, even with a long unbroken text.
    await d.setViewportSize({ width: 360, height: 740 });
    await send(d, 'x'.repeat(3000));
    await messages(d).filter({ hasText: 'xxxx' }).waitFor();
    const overflow = () =>
      d.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await expect(overflow()).resolves.toBe(0);
    await d.getByRole('button', { name: 'Chats', exact: true }).click();
    await conversations(d)
      .getByRole('button', { name: /^Alice/ })
      .waitFor();
    await expect(overflow()).resolves.toBe(0);
    expect(violations).toEqual([]);
    await alice.context.close();
    await dave.context.close();
  }, 180_000);

  it('a verified contact replaces their identity keys: the loud warning, sending blocked until the new key is accepted', async () => {
    const alice = await person();
    const bob = await person();
    const a = alice.page;
    const b = bob.page;
    await createProfile(a, 'alice', 'Alice');
    await createProfile(b, 'bob', 'Bob');
    await meet(a, 'Alice', b, 'Bob');
    await b.getByRole('button', { name: 'Verify' }).click();
    await b.getByRole('button', { name: 'Mark as verified' }).click();
    await b.getByRole('button', { name: /Back to the conversation/ }).click();

    await a.getByRole('button', { name: 'Settings' }).click();
    await a.getByRole('button', { name: 'Replace identity keys…' }).click();
    await a.getByRole('button', { name: 'Replace identity keys', exact: true }).click();
    await a.getByText('Your identity keys were replaced.').waitFor(SLOW);

    await b.getByRole('heading', { name: '⚠ Safety number changed' }).waitFor(SLOW);
    const composer = b.getByRole('textbox', { name: 'Message' });
    await expect(composer.isDisabled()).resolves.toBe(true);
    await expect(composer.getAttribute('placeholder')).resolves.toBe('Blocked: the safety number changed');
    await b.getByRole('button', { name: 'Accept the new key without comparing' }).click();
    await composer.and(b.locator(':enabled')).waitFor(SLOW);
    await b.getByRole('heading', { name: '⚠ Safety number changed' }).waitFor({ state: 'detached' });
    await send(b, 'Welcome back');
    await openChat(a, 'Bob');
    await messages(a).filter({ hasText: 'Welcome back' }).waitFor(SLOW);
    expect(violations).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  }, 180_000);

  it('in a hidden tab: a notification that names the sender but not the text, no read receipt until seen; the list keeps its place', async () => {
    // The browser's Notification, recorded: what the app asks the system to show.
    const alice = await person(() => {
      const shown: { title: string; body: string | undefined }[] = [];
      let permission = 'default';
      class RecordedNotification {
        onclick: (() => void) | null = null;
        constructor(title: string, options?: { body?: string }) {
          shown.push({ title, body: options?.body });
        }
        static get permission() {
          return permission;
        }
        static async requestPermission() {
          permission = 'granted';
          return permission;
        }
        close() {}
      }
      Object.assign(window, { Notification: RecordedNotification, shownNotifications: shown });
    });
    const bob = await person();
    const a = alice.page;
    const b = bob.page;
    await createProfile(a, 'alice', 'Alice');
    await createProfile(b, 'bob', 'Bob');
    await a.getByRole('button', { name: 'Settings' }).click();
    await a.getByRole('button', { name: 'Allow notifications' }).click();
    await a.getByText('New messages are notified while Parley is in the background').waitFor();
    await a.getByRole('button', { name: 'Chats', exact: true }).click();
    await meet(a, 'Alice', b, 'Bob');

    const setHidden = (hidden: boolean) =>
      a.evaluate((h) => {
        Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
        Object.defineProperty(document, 'hidden', { value: h, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await send(b, 'the secret plans');
    const shown = () => a.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications);
    await a.waitForFunction(
      () => (window as unknown as { shownNotifications: unknown[] }).shownNotifications.length > 0,
    );
    await expect(shown()).resolves.toEqual([{ title: 'Parley', body: 'New message from Bob' }]);
    const mine = messages(b).filter({ hasText: 'the secret plans' });
    await mine.and(b.locator('[data-status="delivered"]')).waitFor(SLOW);
    await setHidden(false);
    await mine.and(b.locator('[data-status="read"]')).waitFor(SLOW);

    // Scrolled up to read earlier messages, new ones do not move the view; at the bottom, it follows them.
    for (let i = 1; i <= 25; i++) await send(b, `line ${i}`);
    const log = a.getByRole('log', { name: 'Messages' });
    await messages(a).filter({ hasText: 'line 25' }).waitFor(SLOW);
    expect(await log.evaluate((el) => el.scrollHeight - el.clientHeight)).toBeGreaterThan(200);
    await log.evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event('scroll'));
    });
    await send(b, 'while you were up there');
    await messages(a).filter({ hasText: 'while you were up there' }).waitFor(SLOW);
    await expect(log.evaluate((el) => el.scrollTop)).resolves.toBe(0);
    await log.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      el.dispatchEvent(new Event('scroll'));
    });
    await send(b, 'and now at the bottom');
    await messages(a).filter({ hasText: 'and now at the bottom' }).waitFor(SLOW);
    const gap = await log.evaluate((el) => el.scrollHeight - el.clientHeight - el.scrollTop);
    expect(gap).toBeLessThan(4);
    expect(violations).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  }, 180_000);
});
