/**
 * Several devices with the web app (issue 19 on issue 18): this browser joins an account whose
 * first device is the CLI — the code compared on both, the history brought over — and then shows
 * a device link that a second CLI device joins through. Real `parley` processes, the production
 * build of the app, one in-process server behind the app's origin.
 */
import { Home, meet, type Running, useInProcessServer } from '@parley/testkit';
import { chromiumMissing, useBrowser } from '@parley/testkit/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppServer, buildApp, removeDir, serveApp } from './app-server.ts';
import { conversations, messages, openChat, PASSPHRASE, SLOW } from './people.ts';

const server = useInProcessServer();
const browsers = useBrowser();
const LINK_TIMEOUT_MS = 120_000;

describe.skipIf(chromiumMissing())('web app: linking devices', () => {
  let dist: string;
  let app: AppServer;
  const homes: Home[] = [];

  beforeAll(async () => {
    dist = await buildApp();
    app = await serveApp(dist, server.url);
  }, 120_000);
  afterAll(async () => {
    for (const h of homes) h.remove();
    await app?.close();
    if (dist !== undefined) removeDir(dist);
  }, 30_000);

  const field = (r: Running, key: string) => r.waitForField(key, 90_000);

  it('links this browser to a CLI account (code, history), links a CLI device from the browser, renames itself and removes that device', async () => {
    // The CLI account (on the app's origin, as a browser device reaches it) with a contact and a message.
    const laptop = await Home.create(app.url, 'Dana');
    const bob = await Home.create(app.url, 'Bob');
    homes.push(laptop, bob);
    await meet(laptop, bob);
    await bob.json('send', 'Dana', 'hello laptop');
    await laptop.json('receive');

    const context = await browsers.context();
    const page = await context.newPage();
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Link to an existing account' }).click();
    await page.getByRole('heading', { name: 'Link this browser to your account' }).waitFor();

    const existing = laptop.start(['devices', 'link', '--json'], { openStdin: true, timeoutMs: LINK_TIMEOUT_MS });
    const link = (await field(existing, 'link')) as string;
    await page.getByLabel('Device link').fill(link);
    await page.getByLabel('Profile name').fill('dana');
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByLabel('Device name').fill('Work browser');
    await page.getByRole('button', { name: 'Link this browser' }).click();
    const cliCode = (await field(existing, 'code')) as string;
    const shown = (await page.locator('.link-code .code').innerText(SLOW)).replace(/\s+/g, '');
    expect(shown).toBe(cliCode);
    await page.getByRole('button', { name: 'The codes match' }).click();
    existing.child.stdin?.end('y\n');
    const e = await existing.done;
    expect(e.code, e.stderr).toBe(0);
    expect(existing.documents().find((d) => 'linked' in d)?.linked).toMatchObject({ deviceName: 'Work browser' });

    // The browser has the account's contact and history.
    await page.getByRole('heading', { name: 'Chats' }).waitFor(SLOW);
    await conversations(page).getByRole('button', { name: /^Bob/ }).waitFor(SLOW);
    await openChat(page, 'Bob');
    await messages(page).filter({ hasText: 'hello laptop' }).waitFor(SLOW);

    // The browser links another device: a CLI "phone" joins with the link it shows.
    await page.getByRole('button', { name: 'Devices' }).click();
    await page.getByText('this browser').waitFor();
    await page.getByRole('button', { name: 'Link a new device' }).click();
    await page.getByRole('button', { name: 'Show a device link' }).click();
    const browserLink = await page.getByLabel('Device link', { exact: true }).inputValue();
    expect(browserLink).toMatch(/^parley:\/\/link\//);
    const phone = Home.empty('phone');
    homes.push(phone);
    const joining = phone.start(['join', browserLink, '--name', 'phone', '--history', 'all', '--json'], {
      openStdin: true,
      timeoutMs: LINK_TIMEOUT_MS,
    });
    const phoneCode = (await field(joining, 'code')) as string;
    const browserCode = (await page.locator('.link-code .code').innerText(SLOW)).replace(/\s+/g, '');
    expect(browserCode).toBe(phoneCode);
    joining.child.stdin?.end(`${browserCode}\n`);
    await page.getByRole('button', { name: 'The codes match' }).click();
    const n = await joining.done;
    expect(n.code, n.stderr).toBe(0);
    await page.getByText(/Linked “phone” as device \d+/).waitFor(SLOW);
    await page.getByRole('button', { name: 'Back to devices' }).click();
    await page.getByText('phone', { exact: true }).waitFor(SLOW);

    // This browser renames itself; then it removes the phone (after confirming), which is refused from then on.
    await page.getByRole('button', { name: 'Rename Work browser' }).click();
    await page.getByLabel('New name for Work browser').fill('Laptop browser');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByText('Laptop browser', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Remove phone…' }).click();
    await page.getByRole('button', { name: 'Remove phone', exact: true }).click();
    await page
      .locator('li.device strong')
      .getByText('phone', { exact: true })
      .waitFor({ state: 'detached', ...SLOW });
    const refused = await phone.run('send', 'Bob', 'still here?');
    expect(refused.code).not.toBe(0);
    await context.close();
  }, 300_000);
});
