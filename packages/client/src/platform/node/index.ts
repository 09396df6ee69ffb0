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
import type { ClientOptions, CreateOptions, JoinSession, ParleyClient } from '../../client.ts';
import { ClientError } from '../../errors.ts';
import type { ScryptParams } from '../../store/store-crypto.ts';
import {
  createProfileWith,
  type JoinAccountFields,
  joinAccountWith,
  openProfileWith,
  type ProfileBackend,
  type Unlock,
} from '../profile-lifecycle.ts';
import { checkProfileName, PROFILE_NAME } from '../profile-name.ts';
import { serverConnections } from '../server-connections.ts';
import { nodeStoreCrypto } from './node-crypto.ts';
import { NodeWebSocket } from './node-websocket.ts';
import { DEFAULT_LOCK_WAIT_MS, lockProfileDir } from './profile-lock.ts';
import { SqliteRecordStore } from './sqlite.ts';

export * from '../../index.ts';
export { checkProfileName } from '../profile-name.ts';
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
  return serverConnections(profile, env, NodeWebSocket);
}

/** Where a profile lives in Node: its directory, SQLite store and lock file (profile-lock.ts). */
function nodeBackend(options: OpenOptions, profile: string): ProfileBackend {
  const path = storePath(options.home, profile);
  const dir = dirname(path);
  return {
    crypto: nodeStoreCrypto,
    client: nodeClientOptions(profile, options.env ?? defaultEnv),
    lock: () => {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return takeLock(dir, options);
    },
    openStore: async (mode) => {
      if (mode === 'create' && existsSync(path)) throw profileExists(profile);
      return SqliteRecordStore.open(path);
    },
    remove: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

const profileExists = (profile: string) =>
  new ClientError('profile-exists', `A profile named ${profile} already exists here.`);

function unlockOf(options: OpenOptions & { readonly kdf?: ScryptParams | undefined }): Unlock {
  return { passphrase: () => passphraseOf(options), kdf: options.kdf };
}

/**
 * Creates a profile: its encrypted store, then the account on the server. When the server cannot
 * be reached or refuses, the profile is removed again so that `init` can simply be retried.
 */
export async function createProfile(
  options: OpenOptions & CreateOptions & { readonly kdf?: ScryptParams },
): Promise<ParleyClient> {
  const profile = resolveProfile(options);
  if (existsSync(storePath(options.home, profile))) throw profileExists(profile);
  const client = await createProfileWith(nodeBackend(options, profile), unlockOf(options), options);
  if (defaultProfile(options.home) === null) setDefaultProfile(options.home, profile);
  return client;
}

export interface JoinAccountOptions extends OpenOptions, JoinAccountFields {}

/**
 * Joins an account as a new device (docs/client.md §4.10) in a new profile of `home`; the
 * session's `done` resolves with the open client once the history arrived. Anything that ends
 * the linking before the grant removes the profile again. On a profile whose history transfer a
 * restart interrupted (same `profile`, same passphrase), it resumes it.
 */
export async function joinAccount(options: JoinAccountOptions): Promise<JoinSession<ParleyClient>> {
  const profile = resolveProfile(options);
  const resuming = existsSync(storePath(options.home, profile));
  const session = await joinAccountWith(nodeBackend(options, profile), unlockOf(options), resuming, options);
  const done = session.done.then((client) => {
    if (defaultProfile(options.home) === null) setDefaultProfile(options.home, profile);
    return client;
  });
  done.catch(() => undefined);
  return { ...session, code: () => session.code(), done };
}

/** Opens an existing profile with its passphrase (`wrong-passphrase`, `no-profile`). */
export async function openProfile(options: OpenOptions): Promise<ParleyClient> {
  const profile = resolveProfile(options);
  if (!existsSync(storePath(options.home, profile))) {
    throw new ClientError(
      'no-profile',
      listProfiles(options.home).length === 0
        ? 'There is no Parley profile here yet: run `parley init --server URL` first.'
        : `There is no profile named ${profile}: run \`parley profiles\` to list them.`,
    );
  }
  return openProfileWith(nodeBackend(options, profile), unlockOf(options));
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
