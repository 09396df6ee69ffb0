/**
 * The one place the app gets the SDK's browser platform from (`@parley/client/browser`, design §2).
 * TEMPORARY: until wip-browser lands, an in-memory stand-in with the same signatures (profiles
 * live only as long as the page; nothing is persisted). Replaced by a re-export on merge.
 */
import {
  ClientError,
  type ClientOptions,
  type HistoryChoice,
  type JoinOptions,
  type JoinSession,
  MailboxSocket,
  MemoryRecordStore,
  ParleyClient,
  ServerApi,
} from '@parley/client';

export * from '@parley/client';

export interface BrowserProfileInfo {
  readonly name: string;
  readonly createdAt: number;
}

const profiles = new Map<string, { info: BrowserProfileInfo; store: MemoryRecordStore; passphrase: string }>();

export function browserClientOptions(profile: string): ClientOptions {
  const apis = new Map<string, ServerApi>();
  return {
    profile,
    api: (url) => {
      let api = apis.get(url);
      if (api === undefined) {
        api = new ServerApi(url);
        apis.set(url, api);
      }
      return api;
    },
    push: (url, handlers) => new MailboxSocket(url, handlers),
  };
}

export async function listProfiles(): Promise<BrowserProfileInfo[]> {
  return [...profiles.values()].map((p) => p.info);
}

export async function createProfile(o: {
  profile: string;
  passphrase: string;
  server: string;
  displayName: string;
}): Promise<ParleyClient> {
  if (profiles.has(o.profile)) throw new ClientError('profile-exists', 'A profile of that name exists already.');
  const store = new MemoryRecordStore();
  const client = await ParleyClient.create(store, browserClientOptions(o.profile), o);
  profiles.set(o.profile, { info: { name: o.profile, createdAt: Date.now() }, store, passphrase: o.passphrase });
  return client;
}

export async function openProfile(o: { profile: string; passphrase: string }): Promise<ParleyClient> {
  const p = profiles.get(o.profile);
  if (p === undefined) throw new ClientError('no-profile', 'There is no such profile.');
  if (p.passphrase !== o.passphrase) throw new ClientError('wrong-passphrase', 'Wrong passphrase.');
  return ParleyClient.open(p.store, browserClientOptions(o.profile));
}

export async function deleteProfile(profile: string): Promise<void> {
  profiles.delete(profile);
}

export async function joinAccount(o: {
  profile: string;
  passphrase: string;
  link: string;
  deviceName: string;
  history: HistoryChoice;
  onProgress?: JoinOptions['onProgress'];
}): Promise<JoinSession<ParleyClient>> {
  const store = new MemoryRecordStore();
  const session = await ParleyClient.join(store, browserClientOptions(o.profile), {
    link: o.link,
    deviceName: o.deviceName,
    history: o.history,
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
  });
  const done = session.done.then((c) => {
    profiles.set(o.profile, { info: { name: o.profile, createdAt: Date.now() }, store, passphrase: o.passphrase });
    return c;
  });
  return { ...session, code: () => session.code(), done };
}
