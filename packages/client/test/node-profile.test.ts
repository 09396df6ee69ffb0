/**
 * Profiles on disk (node.ts): encrypted SQLite stores in a home directory, opened with a
 * passphrase. After a real conversation, no file the client wrote holds a message, a contact
 * name or a private key in any common encoding.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useInProcessServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAs } from '../src/engine/record-schemas.ts';
import { ClientError } from '../src/errors.ts';
import { ServerApi } from '../src/net/server-api.ts';
import {
  createProfile,
  defaultProfile,
  listProfiles,
  openProfile,
  removeProfileFiles,
  SqliteRecordStore,
  setDefaultProfile,
} from '../src/platform/node/index.ts';
import { nodeStoreCrypto } from '../src/platform/node/node-crypto.ts';
import { EncryptedRecordStore } from '../src/store/encrypted.ts';

const server = useInProcessServer();
let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'parley-home-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ClientError) return e.code;
    throw e;
  }
  return undefined;
}

describe('profiles on disk', () => {
  it('keeps several profiles, each behind its passphrase', async () => {
    const a = await createProfile({
      home,
      profile: 'work',
      passphrase: 'pass one',
      server: server.url,
      displayName: 'W',
    });
    await a.close();
    const b = await createProfile({
      home,
      profile: 'home',
      passphrase: 'pass two',
      server: server.url,
      displayName: 'H',
    });
    await b.close();
    expect(listProfiles(home)).toEqual(['home', 'work']);
    expect(defaultProfile(home)).toBe('work'); // the first one
    setDefaultProfile(home, 'home');
    const opened = await openProfile({ home, passphrase: 'pass two' });
    expect(opened.profile.displayName).toBe('H');
    await opened.close();
    expect(await codeOf(openProfile({ home, profile: 'work', passphrase: 'pass two' }))).toBe('wrong-passphrase');
    expect(await codeOf(openProfile({ home, profile: 'nope', passphrase: 'x' }))).toBe('no-profile');
    expect(
      await codeOf(createProfile({ home, profile: 'work', passphrase: 'x', server: server.url, displayName: 'W' })),
    ).toBe('profile-exists');
    // The right passphrase still opens it after a wrong one.
    const again = await openProfile({ home, profile: 'work', passphrase: 'pass one' });
    await again.close();
  }, 60_000);

  it('an unreachable server leaves no profile behind, so init can be retried', async () => {
    const dead = 'http://127.0.0.1:9'; // discard port: nothing listens
    expect(
      await codeOf(createProfile({ home, profile: 'retry', passphrase: 'p', server: dead, displayName: 'R' })),
    ).toBe('server-unreachable');
    expect(listProfiles(home)).not.toContain('retry');
    const ok = await createProfile({ home, profile: 'retry', passphrase: 'p', server: server.url, displayName: 'R' });
    await ok.close();
    removeProfileFiles({ home, profile: 'retry' });
    expect(listProfiles(home)).not.toContain('retry');
  }, 60_000);

  it('no message, contact name or private key appears in any file the client wrote', async () => {
    const text = 'the eagle lands at noon, bring the ledger';
    const aliceName = 'Zebediah Quuxworth';
    const bobName = 'Ottoline Frabjous';
    const alice = await createProfile({
      home,
      profile: 'alice',
      passphrase: 'a secret',
      server: server.url,
      displayName: aliceName,
    });
    const bob = await createProfile({
      home,
      profile: 'bob',
      passphrase: 'b secret',
      server: server.url,
      displayName: bobName,
    });
    const { link } = await alice.createInvitation();
    await bob.connect(link);
    await alice.sync();
    await bob.sync();
    await bob.send(aliceName, text);
    await alice.sync();
    expect((await alice.unread()).map((m) => m.text)).toEqual([text]);
    await alice.close();
    await bob.close();

    // The secrets to look for: every private key of Alice's profile record.
    const inner = await SqliteRecordStore.open(join(home, 'profiles', 'alice', 'store.db'));
    const store = await EncryptedRecordStore.open(inner, 'a secret', nodeStoreCrypto);
    const profile = decodeAs('profile', (await store.get('profile', 'self')) as Uint8Array);
    await store.close();
    const keys = [
      profile.identity.signing.privateKey,
      profile.identity.agreement.privateKey,
      profile.deviceKeys.privateKey,
      profile.signedPreKey.keyPair.privateKey,
    ];
    const needles: Buffer[] = [text, aliceName, bobName].map((s) => Buffer.from(s, 'utf8'));
    for (const k of keys) {
      needles.push(
        Buffer.from(k),
        Buffer.from(Buffer.from(k).toString('hex')),
        Buffer.from(Buffer.from(k).toString('base64url')),
      );
    }
    const files = filesUnder(home);
    expect(files.some((f) => f.endsWith('store.db'))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const n of needles) expect(bytes.includes(n), `${f} holds a secret`).toBe(false);
    }
    // The check can fail: the same needles are found in a plaintext copy.
    expect(Buffer.from(`xx${text}yy`).includes(needles[0] as Buffer)).toBe(true);
  }, 60_000);

  it('deleting the account removes it from the server', async () => {
    const carol = await createProfile({
      home,
      profile: 'carol',
      passphrase: 'c',
      server: server.url,
      displayName: 'C',
    });
    const accountId = carol.profile.accountId;
    const api = new ServerApi(server.url);
    const { deviceId } = await import('@parley/protocol');
    await api.fetchBundle(accountId as never, deviceId(1)); // exists
    await carol.deleteAccount();
    await carol.close();
    expect(await codeOf(api.fetchBundle(accountId as never, deviceId(1)))).toBe('server-error');
  }, 60_000);
});
