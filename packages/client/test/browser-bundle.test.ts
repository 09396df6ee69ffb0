/**
 * Nothing Node-only may leak into the SDK's platform-neutral entry (`src/index.ts`) or its browser
 * entry (`@parley/client/browser`): bundle them for the browser (no Node built-ins, `browser`
 * conditions) and run a whole conversation from the neutral bundle — two clients on in-memory stores over fetch, against a real server over HTTP (in this process).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useInProcessServer } from '@parley/testkit';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'parley-client-browser-'));
const server = useInProcessServer();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The entry bundled for the browser, checked free of Node built-ins and of the `ws` package. */
async function browserBundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [new URL(entry, import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['browser'],
    write: false,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  const code = result.outputFiles[0]?.text ?? '';
  expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|from\s*["']ws["']/);
  expect(code).not.toContain('ws does not work in the browser');
  expect(code).not.toContain('better-sqlite3');
  return code;
}

it('bundles the browser platform entry (@parley/client/browser) without Node built-ins', async () => {
  const code = await browserBundle('../src/platform/browser/index.ts');
  expect(code).toContain('IndexedDbRecordStore');
}, 60_000);

it('bundles for the browser without Node built-ins, and two clients talk from the bundle', async () => {
  const code = await browserBundle('../src/index.ts');
  const file = join(dir, 'client.browser.mjs');
  writeFileSync(file, code);

  const sdk = await import(pathToFileURL(file).href);
  const options = (profile: string) => ({
    profile,
    api: (url: string) => new sdk.ServerApi(url),
    push: () => ({ subscribe() {}, unsubscribe() {}, close() {} }),
  });
  const create = (name: string) =>
    sdk.ParleyClient.create(new sdk.MemoryRecordStore(), options(name), { server: server.url, displayName: name });
  const alice = await create('Alice');
  const bob = await create('Bob');
  const { link } = await alice.createInvitation();
  await bob.connect(link);
  await alice.sync();
  await bob.sync();
  await bob.send('Alice', 'from the browser bundle');
  await alice.sync();
  expect((await alice.unread()).map((m: { text: string }) => m.text)).toEqual(['from the browser bundle']);
  await alice.close();
  await bob.close();
}, 60_000);
