/**
 * The browser platform (`@parley/client/browser`) in headless Chromium: the RecordStore
 * conformance cases (record-store-cases.ts, the same as in Node) on IndexedDbRecordStore and on
 * EncryptedRecordStore over it; profiles created, reopened after a reload, refused with a wrong
 * passphrase; the Web Lock keeping a second tab out; two browsers (two contexts: separate
 * storage) talking through a real server over fetch and the browser's WebSocket, before and after
 * a reload; a browser linked as a new device of an account, and a linking cancelled before the
 * grant leaving no profile behind.
 *
 * The page (browser/store-page.ts) is bundled here with esbuild for the browser and served from
 * 127.0.0.1 by @parley/testkit/page-server, which passes every other path on to the test's server.
 */
import { useInProcessServer } from '@parley/testkit';
import { chromiumMissing, useBrowser } from '@parley/testkit/browser';
import { type PageServer, servePage } from '@parley/testkit/page-server';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../src/client.ts';
import type { StorePage } from './browser/store-page.ts';
import { recordStoreCases } from './record-store-cases.ts';

declare global {
  var parley: StorePage;
}

const server = useInProcessServer();
const chromium = useBrowser();
let site: PageServer;
/** The same page under a strict Content-Security-Policy like the web app's (no eval, no inline code). */
let strictSite: PageServer;
const STRICT_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'";

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
  strictSite = await servePage(bundle.outputFiles[0]?.text ?? '', server.url, {
    headers: { 'content-security-policy': STRICT_CSP },
  });
}, 60_000);
afterAll(async () => {
  await site?.close();
  await strictSite?.close();
});

/** A new page of `context` (a new context when none is given) with the test page loaded. */
async function openPage(context?: BrowserContext, at: PageServer = site): Promise<Page> {
  const page = await (context ?? (await chromium.context())).newPage();
  await page.goto(at.url);
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

    it('two browsers meet by invitation and talk both ways through the server, pushed over WebSocket, and after a reload', async () => {
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

      // A reload: the conversation and the session are still there, and Bob's next text arrives.
      await alice.reload();
      await alice.waitForFunction(() => globalThis.parley !== undefined);
      const history = await alice.evaluate(async () => {
        const client = await parley.sdk.openProfile({ profile: 'me', passphrase: 'p' });
        parley.clients.set('me', client);
        await client.start();
        return (await client.messages('Bob')).map((m) => `${m.direction}: ${m.text}`);
      });
      expect(history).toEqual(['in: hello from Bob', 'out: hello from Alice']);
      await bob.evaluate(async () => {
        const client = await parley.sdk.openProfile({ profile: 'me', passphrase: 'p' });
        parley.clients.set('me', client);
        await client.start();
      });
      const afterReload = nextText(alice);
      await bob.evaluate(() => parley.client('me').send('Alice', 'still there?'));
      expect(await afterReload).toBe('still there?');
      for (const page of [alice, bob]) await page.evaluate(() => parley.client('me').close());
    }, 90_000);

    it('links this browser as a new device of an account; a linking cancelled before the grant leaves no profile', async () => {
      const phone = await openPage();
      const laptop = await openPage();
      const link = await phone.evaluate(async (serverUrl) => {
        const { sdk, CHEAP, clients, sessions } = parley;
        const client = await sdk.createProfile({
          profile: 'me',
          passphrase: 'p',
          server: serverUrl,
          displayName: 'Ada',
          kdf: CHEAP,
        });
        clients.set('me', client);
        const session = await client.linkDevice({ pollMs: 200 });
        sessions.set('link', session);
        return session.link;
      }, site.url);
      await laptop.evaluate(async (l) => {
        const { sdk, CHEAP, sessions } = parley;
        const join = await sdk.joinAccount({
          profile: 'laptop',
          passphrase: 'other',
          link: l,
          deviceName: 'laptop',
          history: { kind: 'all' },
          kdf: CHEAP,
          pollMs: 200,
        });
        sessions.set('join', join);
      }, link);
      const codeOn = (page: Page, name: string) => page.evaluate((n) => parley.sessions.get(n)?.code(), name);
      const [shown, typed] = await Promise.all([codeOn(phone, 'link'), codeOn(laptop, 'join')]);
      expect(typed).toBe(shown);
      const finish = (page: Page, name: string) =>
        page.evaluate(async (n) => {
          const session = parley.sessions.get(n);
          session?.confirm(true);
          await session?.done;
        }, name);
      await Promise.all([finish(phone, 'link'), finish(laptop, 'join')]);
      const joined = await laptop.evaluate(async () => {
        const { sdk, sessions } = parley;
        const client = (await sessions.get('join')?.done) as ParleyClient;
        const view = { name: client.profile.displayName, devices: (await client.devices()).length };
        await client.close();
        return { ...view, listed: (await sdk.listProfiles()).map((p) => p.name) };
      });
      expect(joined).toEqual({ name: 'Ada', devices: 2, listed: ['laptop'] });

      // Another browser starts linking and cancels before the grant: nothing is left of it.
      const other = await openPage();
      const second = await phone.evaluate(async () => {
        const session = await parley.client('me').linkDevice({ pollMs: 200 });
        parley.sessions.set('link2', session);
        return session.link;
      });
      const cancelled = await other.evaluate(async (l) => {
        const { sdk, CHEAP, codeOf } = parley;
        const join = await sdk.joinAccount({
          profile: 'tablet',
          passphrase: 'p',
          link: l,
          deviceName: 'tablet',
          history: { kind: 'none' },
          kdf: CHEAP,
          pollMs: 200,
        });
        const listedDuring = (await sdk.listProfiles()).map((p) => p.name);
        join.cancel();
        const code = await codeOf(join.done);
        return { listedDuring, code, listedAfter: (await sdk.listProfiles()).map((p) => p.name) };
      }, second);
      expect(cancelled).toEqual({ listedDuring: ['tablet'], code: 'link-aborted', listedAfter: [] });
      await phone.evaluate(() => parley.client('me').close());
    }, 90_000);

    it('works under a strict Content-Security-Policy without a single violation (no eval, not even a probe)', async () => {
      // Listening from before the bundle runs: zod decides at load whether it may compile parsers.
      const context = await chromium.context();
      await context.addInitScript(() => {
        const seen: string[] = [];
        (globalThis as { violations?: string[] }).violations = seen;
        document.addEventListener('securitypolicyviolation', (e) =>
          seen.push(`${e.violatedDirective} ${e.blockedURI}`),
        );
      });
      const page = await openPage(context, strictSite);
      const result = await page.evaluate(() => {
        const violations = (globalThis as { violations?: string[] }).violations ?? ['no listener'];
        // Run as a task of the page's own: code called straight from evaluate is exempt from the CSP.
        const flow = async () => {
          const { sdk, CHEAP } = parley;
          const client = await sdk.createProfile({
            profile: 'me',
            passphrase: 'p',
            server: location.origin,
            displayName: 'Ada',
            kdf: CHEAP,
          });
          await client.createInvitation();
          await client.close();
          const again = await sdk.openProfile({ profile: 'me', passphrase: 'p' });
          const invitations = (await again.invitations()).length;
          await again.close();
          await new Promise((r) => setTimeout(r, 100)); // violation events are dispatched asynchronously
          return { invitations, violations };
        };
        return new Promise<{ invitations: number; violations: string[] }>((resolve, reject) =>
          setTimeout(() => flow().then(resolve, reject)),
        );
      });
      expect(result).toEqual({ invitations: 1, violations: [] });
    }, 60_000);
  });
});
