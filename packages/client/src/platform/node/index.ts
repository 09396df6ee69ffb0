/**
 * Node wiring of the SDK: profiles in a client home directory, each an encrypted SQLite store
 * (`<home>/profiles/<name>/store.db`) opened with a passphrase, talking to servers over
 * HTTP (fetch) and the `ws` WebSocket, one writing process per profile (profile-lock.ts). The
 * browser gets its own wiring beside this folder.
 *
 *   <home>/config.json                     {"default": "<profile>"} — the profile used when none is named
 *   <home>/profiles/<name>/store.db(-wal)  encrypted records (store/encrypted.ts), mode 0600
 *   <home>/profiles/<name>/lock            the pid of the process that has it open for writing
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultEnv, type ProtocolEnv } from '@parley/protocol';
import {
  type ClientOptions,
  type CreateOptions,
  type JoinOptions,
  type JoinSession,
  ParleyClient,
} from '../../client.ts';
import type { HistoryChoice } from '../../engine/link-wire.ts';
import { ClientError } from '../../errors.ts';
import { MailboxSocket } from '../../net/mailbox-socket.ts';
import { ServerApi } from '../../net/server-api.ts';
import { EncryptedRecordStore } from '../../store/encrypted.ts';
import type { ScryptParams } from '../../store/store-crypto.ts';
import { LockedStore } from './locked-store.ts';
import { nodeStoreCrypto } from './node-crypto.ts';
import { NodeWebSocket } from './node-websocket.ts';
import { DEFAULT_LOCK_WAIT_MS, lockProfileDir } from './profile-lock.ts';
import { SqliteRecordStore } from './sqlite.ts';

export * from '../../index.ts';
export { nodeStoreCrypto } from './node-crypto.ts';
export { NodeWebSocket } from './node-websocket.ts';
export { DEFAULT_LOCK_WAIT_MS, ProfileLockedError } from './profile-lock.ts';
export { SqliteRecordStore } from './sqlite.ts';

/** `$PARLEY_HOME`, else `~/.parley`. */
export function defaultHome(): string {
  return process.env.PARLEY_HOME ?? join(homedir(), '.parley');
}

export interface ProfileLocation {
  readonly home: string;
  /** Profile name; default: the home's default profile, else `default`. */
  readonly profile?: string;
}

export interface OpenOptions extends ProfileLocation {
  /** The passphrase, or how to ask for it (asked once the lock is taken, so a busy profile fails first). */
  readonly passphrase: string | (() => Promise<string>);
  readonly env?: ProtocolEnv;
  /**
   * Take the profile's lock (default true) until the client closes, so that no other process
   * writes to it meanwhile (`profile-locked`, profile-lock.ts). Only a caller that just reads
   * (lists contacts, shows history) while another process may hold it passes false.
   */
  readonly lock?: boolean;
  /** How long to wait for another process to let go of the lock (default 3 s). */
  readonly lockWaitMs?: number;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new ClientError('usage', 'Profile names are 1–32 letters, digits, - or _, starting with a letter or digit.');
  }
  return name;
}

const storePath = (home: string, profile: string) => join(home, 'profiles', profile, 'store.db');

export function listProfiles(home: string): string[] {
  const dir = join(home, 'profiles');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => PROFILE_NAME.test(n) && existsSync(storePath(home, n)))
    .sort();
}

export function defaultProfile(home: string): string | null {
  try {
    const c = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { default?: unknown };
    return typeof c.default === 'string' && PROFILE_NAME.test(c.default) ? c.default : null;
  } catch {
    return null;
  }
}

export function setDefaultProfile(home: string, profile: string): void {
  checkProfileName(profile);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const tmp = join(home, 'config.json.tmp');
  writeFileSync(tmp, `${JSON.stringify({ default: profile })}\n`, { mode: 0o600 });
  renameSync(tmp, join(home, 'config.json'));
}

/** The profile a command acts on: the one named, else the home's default, else `default`. */
export function resolveProfile(loc: ProfileLocation): string {
  return checkProfileName(loc.profile ?? defaultProfile(loc.home) ?? 'default');
}

/** Client options for Node: `ServerApi` per server URL (fetch) and `MailboxSocket` (ws) for push. */
export function nodeClientOptions(profile: string, env: ProtocolEnv = defaultEnv): ClientOptions {
  const apis = new Map<string, ServerApi>();
  return {
    env,
    profile,
    api: (url) => {
      let api = apis.get(url);
      if (api === undefined) {
        api = new ServerApi(url, { env });
        apis.set(url, api);
      }
      return api;
    },
    push: (url, handlers) => new MailboxSocket(url, { ...handlers, env, WebSocket: NodeWebSocket }),
  };
}

/**
 * Creates a profile: its encrypted store, then the account on the server. When the server cannot
 * be reached or refuses, the profile is removed again so that `init` can simply be retried.
 */
export async function createProfile(
  options: OpenOptions & CreateOptions & { readonly kdf?: ScryptParams },
): Promise<ParleyClient> {
  const profile = resolveProfile(options);
  const path = storePath(options.home, profile);
  if (existsSync(path)) throw new ClientError('profile-exists', `A profile named ${profile} already exists here.`);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const release = await takeLock(dir, options);
  let store: LockedStore;
  try {
    const inner = await SqliteRecordStore.open(path);
    try {
      store = new LockedStore(
        await EncryptedRecordStore.create(inner, await passphraseOf(options), nodeStoreCrypto, {
          ...(options.kdf ? { kdf: options.kdf } : {}),
        }),
        release,
      );
    } catch (e) {
      await inner.close();
      throw e;
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    release();
    throw e;
  }
  try {
    const client = await ParleyClient.create(store, nodeClientOptions(profile, options.env ?? defaultEnv), options);
    if (defaultProfile(options.home) === null) setDefaultProfile(options.home, profile);
    return client;
  } catch (e) {
    await store.close();
    rmSync(join(options.home, 'profiles', profile), { recursive: true, force: true });
    throw e;
  }
}

export interface JoinAccountOptions extends OpenOptions {
  /** The `parley://link/…` shown by a device of the account. */
  readonly link: string;
  /** This device's name on the account's other devices. */
  readonly deviceName: string;
  readonly history: HistoryChoice;
  readonly kdf?: ScryptParams;
  readonly pollMs?: number;
  readonly onProgress?: JoinOptions['onProgress'];
}

/**
 * Joins an account as a new device (docs/client.md §4.10) in a new profile of `home`; the
 * session's `done` resolves with the open client once the history arrived. Anything that ends
 * the linking before the grant removes the profile again. On a profile whose history transfer a
 * restart interrupted (same `profile`, same passphrase), it resumes the transfer.
 */
export async function joinAccount(options: JoinAccountOptions): Promise<JoinSession<ParleyClient>> {
  const profile = resolveProfile(options);
  const path = storePath(options.home, profile);
  const resuming = existsSync(path);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const release = await takeLock(dir, options);
  let store: LockedStore;
  let inner: SqliteRecordStore | undefined;
  try {
    inner = await SqliteRecordStore.open(path);
    const passphrase = await passphraseOf(options);
    const encrypted = resuming
      ? await EncryptedRecordStore.open(inner, passphrase, nodeStoreCrypto)
      : await EncryptedRecordStore.create(inner, passphrase, nodeStoreCrypto, options.kdf ? { kdf: options.kdf } : {});
    store = new LockedStore(encrypted, release);
  } catch (e) {
    await inner?.close().catch(() => undefined);
    if (!resuming) rmSync(dir, { recursive: true, force: true });
    release();
    throw e;
  }
  const discard = async () => {
    const left = await store.get('profile', 'self').catch(() => undefined);
    await store.close().catch(() => undefined);
    if (left === undefined) rmSync(dir, { recursive: true, force: true });
  };
  let session: JoinSession<ParleyClient>;
  try {
    session = await ParleyClient.join(store, nodeClientOptions(profile, options.env ?? defaultEnv), {
      link: options.link,
      deviceName: options.deviceName,
      history: options.history,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
  } catch (e) {
    await discard();
    throw e;
  }
  const done = session.done.then(
    (client) => {
      if (defaultProfile(options.home) === null) setDefaultProfile(options.home, profile);
      return client;
    },
    async (e: unknown) => {
      // Before the grant the store is empty again: the profile goes. After it, it stays, to resume.
      await discard();
      throw e;
    },
  );
  done.catch(() => undefined);
  return { ...session, code: () => session.code(), done };
}

/** Opens an existing profile with its passphrase (`wrong-passphrase`, `no-profile`). */
export async function openProfile(options: OpenOptions): Promise<ParleyClient> {
  const profile = resolveProfile(options);
  const path = storePath(options.home, profile);
  if (!existsSync(path)) {
    throw new ClientError(
      'no-profile',
      listProfiles(options.home).length === 0
        ? 'There is no Parley profile here yet: run `parley init --server URL` first.'
        : `There is no profile named ${profile}: run \`parley profiles\` to list them.`,
    );
  }
  const release = await takeLock(dirname(path), options);
  let inner: SqliteRecordStore;
  try {
    inner = await SqliteRecordStore.open(path);
  } catch (e) {
    release();
    throw e;
  }
  try {
    const store = new LockedStore(
      await EncryptedRecordStore.open(inner, await passphraseOf(options), nodeStoreCrypto),
      release,
    );
    return await ParleyClient.open(store, nodeClientOptions(profile, options.env ?? defaultEnv));
  } catch (e) {
    await inner.close().catch(() => undefined);
    release();
    throw e;
  }
}

function passphraseOf(options: OpenOptions): Promise<string> {
  return typeof options.passphrase === 'string' ? Promise.resolve(options.passphrase) : options.passphrase();
}

function takeLock(dir: string, options: OpenOptions): Promise<() => void> {
  if (options.lock === false) return Promise.resolve(() => undefined);
  return lockProfileDir(dir, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
}

/**
 * Deletes a profile's local files once no other process has it open (`profile-locked` after
 * `lockWaitMs`) — not its account: `ParleyClient.deleteAccount` does that.
 */
export async function removeProfile(loc: ProfileLocation & { readonly lockWaitMs?: number }): Promise<void> {
  const profile = resolveProfile(loc);
  const dir = join(loc.home, 'profiles', profile);
  if (!existsSync(dir)) return;
  const release = await lockProfileDir(dir, loc.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  try {
    rmSync(dir, { recursive: true, force: true });
  } finally {
    release();
  }
}

/** Deletes a profile's local files without looking at its lock (see {@link removeProfile}). */
export function removeProfileFiles(loc: ProfileLocation): void {
  const profile = resolveProfile(loc);
  rmSync(join(loc.home, 'profiles', profile), { recursive: true, force: true });
}
