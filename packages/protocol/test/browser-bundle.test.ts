/**
 * The core must run unchanged in browsers: bundle it for the browser platform (no Node
 * built-ins available, `browser` export condition) and run a whole session with the bundle.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'parley-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('bundles for the browser without Node built-ins and runs a session from the bundle', async () => {
  const result = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['browser'],
    write: false,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  const code = result.outputFiles[0]?.text ?? '';
  expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
  const file = join(dir, 'protocol.browser.mjs');
  writeFileSync(file, code);

  const p = await import(pathToFileURL(file).href);
  const env = p.defaultEnv;
  expect(env.crypto.name).toBe('noble');
  const bob = p.generateIdentity(env);
  const spk = p.generateSignedPreKey(env, bob, 1);
  const kem = p.generateKemPreKey(env, bob, 2, false);
  const bundle = p.encodeBundle({
    identity: p.publicIdentity(bob),
    deviceId: p.deviceId(1),
    signedPreKey: p.signedPreKeyPublic(spk),
    oneTimePreKey: null,
    kemPreKey: p.kemPreKeyPublic(kem),
  });
  const alice = p.createInitiatorSession(env, p.generateIdentity(env), p.deviceId(1), p.decodeBundle(bundle));
  const sent = p.encryptMessage(env, alice, p.utf8('from the browser bundle'));
  const got = p.acceptInitialMessage(env, bob, p.deviceId(1), p.decodeInitialMessage(sent.message), {
    signedPreKey: spk,
    oneTimePreKey: null,
    kemPreKey: kem,
  });
  expect(new TextDecoder().decode(got.plaintext)).toBe('from the browser bundle');
});
