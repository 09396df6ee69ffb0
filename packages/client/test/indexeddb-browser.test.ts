/**
 * The browser platform (`@parley/client/browser`) in headless Chromium: the RecordStore
 * conformance cases (record-store-cases.ts, the same as in Node) on IndexedDbRecordStore and on
 * EncryptedRecordStore over it; profiles created, reopened after a reload, refused with a wrong
 * passphrase; the Web Lock keeping a second tab out; and two browsers (two contexts: separate
 * storage) talking through a real server over fetch and the browser's WebSocket.
 *
 * The page (browser/store-page.ts) is bundled here with esbuild for the browser and served from
 * 127.0.0.1 by browser/page-server.ts, which passes every other path on to the test's server.
 */
import { useInProcessServer } from '@parley/testkit';
import { chromiumMissing, useBrowser } from '@parley/testkit/browser';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PageServer, servePage } from './browser/page-server.ts';
import type { StorePage } from './browser/store-page.ts';
import { recordStoreCases } from './record-store-cases.ts';

declare global {
  var parley: StorePage;
}

const server = useInProcessServer();
const chromium = useBrowser();
let site: PageServer;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [new URL('./browser/store-page.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['browser'],
    write: false,
    logLevel: 'silent',
  });
  site = await servePage(bundle.outputFiles[0]?.text ?? '', server.url);
}, 60_000);
afterAll(async () => {
  await site?.close();
});

/** A new page of `context` (a new context when none is given) with the test page loaded. */
async function openPage(context?: BrowserContext): Promise<Page> {
  const page = await (context ?? (await chromium.context())).newPage();
  await page.goto(site.url);
  await page.waitForFunction(() => globalThis.parley !== undefined);
  return page;
}

describe.skipIf(chromiumMissing())('the browser platform in Chromium', () => {
  for (const backend of ['indexeddb', 'encrypted-indexeddb']) {
    describe(`${backend}: RecordStore conformance`, () => {
      let page: Page;
      beforeAll(async () => {
        page = await openPage();
      }, 60_000);
      for (const c of recordStoreCases) {
        const id = `${c.group} > ${c.name}`;
        it(id, () => page.evaluate(([b, n]) => parley.runCase(b, n), [backend, id] as const), 30_000);
      }
    });
  }

  describe('profiles', () => {
    it('creates a profile, keeps it across a reload, and refuses a wrong passphrase', async () => {
      const page = await openPage();
      const created = await page.evaluate(async (serverUrl) => {
        const { sdk, CHEAP } = parley;
        const client = await sdk.createProfile({
          profile: 'main',
          passphrase: 'pass one',
          server: serverUrl,
          displayName: 'Ada',
          kdf: CHEAP,
        });
        const invitation = await client.createInvitation();
        const profile = client.profile;
        await client.close();
        return { profile, link: invitation.link, listed: await sdk.listProfiles() };
      }, site.url);
      expect(created.profile.displayName).toBe('Ada');
      expect(created.listed.map((p) => p.name)).toEqual(['main']);
      expect(created.listed[0]?.createdAt).toBeGreaterThan(Date.now() - 600_000);

      await page.reload();
      await page.waitForFunction(() => globalThis.parley !== undefined);
      const reopened = await page.evaluate(async () => {
        const { sdk, codeOf } = parley;
        const wrong = await codeOf(sdk.openProfile({ profile: 'main', passphrase: 'pass two' }));
        const missing = await codeOf(sdk.openProfile({ profile: 'other', passphrase: 'pass one' }));
        const again = await codeOf(
          sdk.createProfile({ profile: 'main', passphrase: 'x', server: location.origin, displayName: 'B' }),
        );
        const client = await sdk.openProfile({ profile: 'main', passphrase: 'pass one' });
        const view = { profile: client.profile, invitations: (await client.invitations()).length };
        await client.close();
        return { wrong, missing, again, view, listed: (await sdk.listProfiles()).map((p) => p.name) };
      });
      expect(reopened).toEqual({
        wrong: 'wrong-passphrase',
        missing: 'no-profile',
        again: 'profile-exists',
        view: { profile: created.profile, invitations: 1 },
        listed: ['main'],
      });
    }, 60_000);

    it('keeps a second tab out while one has the profile open (Web Lock), and lets it in after', async () => {
      const first = await openPage();
      const second = await openPage(first.context());
      await first.evaluate(async (serverUrl) => {
        const { sdk, CHEAP, clients } = parley;
        clients.set(
          'me',
          await sdk.createProfile({
            profile: 'shared',
            passphrase: 'p',
            server: serverUrl,
            displayName: 'Me',
            kdf: CHEAP,
          }),
        );
      }, site.url);
      const whileOpen = await second.evaluate(async () => {
        const { sdk, codeOf } = parley;
        return {
          open: await codeOf(sdk.openProfile({ profile: 'shared', passphrase: 'p' })),
          wrongPassphraseToo: await codeOf(sdk.openProfile({ profile: 'shared', passphrase: 'nope' })),
          remove: await codeOf(sdk.deleteProfile('shared')),
          listed: (await sdk.listProfiles()).map((p) => p.name),
        };
      });
      expect(whileOpen).toEqual({
        open: 'profile-locked',
        wrongPassphraseToo: 'profile-locked',
        remove: 'profile-locked',
        listed: ['shared'],
      });
      await first.evaluate(() => parley.client('me').close());
      const afterClose = await second.evaluate(async () => {
        const { sdk } = parley;
        const client = await sdk.openProfile({ profile: 'shared', passphrase: 'p' });
        const name = client.profile.displayName;
        await client.close();
        await sdk.deleteProfile('shared');
        return { name, listed: (await sdk.listProfiles()).map((p) => p.name) };
      });
      expect(afterClose).toEqual({ name: 'Me', listed: [] });
    }, 60_000);

    it('two browsers meet by invitation and talk both ways through the server, pushed over WebSocket', async () => {
      const alice = await openPage();
      const bob = await openPage();
      const sockets: string[] = [];
      for (const page of [alice, bob]) page.on('websocket', (ws) => sockets.push(new URL(ws.url()).pathname));
      const start = (page: Page, name: string) =>
        page.evaluate(
          async ([serverUrl, displayName]) => {
            const { sdk, CHEAP, clients } = parley;
            const client = await sdk.createProfile({
              profile: 'me',
              passphrase: 'p',
              server: serverUrl,
              displayName,
              kdf: CHEAP,
            });
            clients.set('me', client);
            await client.start();
          },
          [site.url, name] as const,
        );
      await start(alice, 'Alice');
      await start(bob, 'Bob');
      const link = await alice.evaluate(async () => (await parley.client('me').createInvitation()).link);
      // Bob's request goes to Alice's mailbox; she answers at once (pushed), and then they are connected.
      await bob.evaluate(async (l) => {
        const client = parley.client('me');
        const connected = new Promise<void>((resolve) => {
          const off = client.on((e) => {
            if (e.type === 'contact-connected') {
              off();
              resolve();
            }
          });
        });
        await client.connect(l, { name: 'Alice' });
        await connected;
      }, link);
      /** Resolves in `page` with the text of the next incoming message. */
      const nextText = (page: Page) =>
        page.evaluate(
          () =>
            new Promise<string>((resolve) => {
              const off = parley.client('me').on((e) => {
                if (e.type === 'message') {
                  off();
                  resolve(e.message.text);
                }
              });
            }),
        );
      const aliceGets = nextText(alice);
      await bob.evaluate(() => parley.client('me').send('Alice', 'hello from Bob'));
      expect(await aliceGets).toBe('hello from Bob');
      const contacts = await alice.evaluate(async () => (await parley.client('me').contacts()).map((c) => c.name));
      expect(contacts).toEqual(['Bob']);
      const bobGets = nextText(bob);
      await alice.evaluate(() => parley.client('me').send('Bob', 'hello from Alice'));
      expect(await bobGets).toBe('hello from Alice');
      for (const page of [alice, bob]) await page.evaluate(() => parley.client('me').close());
      expect(sockets).toEqual(['/v1/ws', '/v1/ws']); // the browser's own WebSocket, one per client
    }, 90_000);
  });
});
