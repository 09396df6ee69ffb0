/**
 * `ParleyClient`: one profile (identity, device, contacts, history) on one home server. It drives
 * the pure engine (engine/*) with I/O: the record store, the server API over HTTP, and the push
 * socket. Every state change is computed first and committed as one batch before anything leaves
 * the device or is acknowledged to a server, so a crash at any point loses nothing and decrypts
 * nothing twice (docs/client.md §6). Operations on one client run one at a time.
 *
 * This file is the public facade: lifecycle, events, the serial queue and the push connection.
 * The flows live in one module each (invitations.ts, contact-requests.ts, messages.ts,
 * sessions.ts, inbound.ts, outbox.ts, prekey-maintenance.ts) and share a {@link ClientContext}.
 *
 * @example
 * ```ts
 * const alice = await ParleyClient.create(store, { server: 'http://127.0.0.1:8787', displayName: 'Alice' });
 * const { link } = await alice.createInvitation();
 * // … bob.connect(link); then:
 * await alice.sync();
 * await alice.send('Bob', 'hi');
 * ```
 */
import { base64url, defaultEnv, publicIdentity, safetyNumber } from '@parley/protocol';
import type {
  AddressView,
  ClientEvent,
  ContactView,
  ConversationView,
  DeviceView,
  GroupMemberView,
  GroupView,
  InvitationView,
  MessageView,
  ProfileView,
  RequestView,
  SafetyNumberView,
  SettingsView,
} from './api.ts';
import type { ClientOptions, CreateOptions } from './client-options.ts';
import { canSendTo } from './engine/fan-out.ts';
import { idSequence } from './engine/id-sequence.ts';
import type { NewLinking } from './engine/link-state.ts';
import { LINKING_ID } from './engine/link-state.ts';
import type { GrantBody } from './engine/link-wire.ts';
import { linkedProfile } from './engine/linked-profile.ts';
import { checkServerUrl } from './engine/links.ts';
import { newProfile } from './engine/profile.ts';
import { decodeAs } from './engine/record-schemas.ts';
import { type ContactRecord, mailboxKey, type ProfileRecord, put, SELF_CONTACT } from './engine/records.ts';
import { ClientError } from './errors.ts';
import { checkName, findContact, identityFrom, listContacts, uniqueName } from './flows/contact-lookup.ts';
import * as requests from './flows/contact-requests.ts';
import {
  auth,
  type ClientContext,
  getRecord,
  ignoreGone,
  listRecords,
  ownedMailbox,
  refused,
} from './flows/context.ts';
import { conversations } from './flows/conversations.ts';
import { deliveryOptions, reportGaps, resendUnconfirmed } from './flows/delivery-checks.ts';
import { introduceDevices, introRecord } from './flows/device-intro.ts';
import { refreshDeviceList, removeOwnDevice } from './flows/device-list.ts';
import { findGroup } from './flows/groups/group-context.ts';
import { groupFor, groupMessages } from './flows/groups/group-lookup.ts';
import { startGroupPush, stopGroupPush } from './flows/groups/group-push.ts';
import { sendToGroup } from './flows/groups/group-send.ts';
import { syncGroups } from './flows/groups/group-sync.ts';
import { groupMembers, groups, groupView } from './flows/groups/group-views.ts';
import { addGroupAdmin, addToGroup, createGroup, leaveGroup, removeFromGroup } from './flows/groups/membership.ts';
import { catchUp, ownMailboxes, receive } from './flows/inbound.ts';
import * as invitations from './flows/invitations.ts';
import { Lanes } from './flows/lanes.ts';
import { linkAborted } from './flows/link-channel.ts';
import { type LinkDeviceOptions, type LinkSession, linkDevice } from './flows/linking.ts';
import { decodeJoinLink, type JoinOptions, type JoinSession, join } from './flows/linking-join.ts';
import { ListFetches } from './flows/list-fetches.ts';
import { MailboxRoutes } from './flows/mailbox-routes.ts';
import * as messages from './flows/messages.ts';
import { flushOutbox, ignoreDeliveryFailure } from './flows/outbox.ts';
import {
  contactSync,
  deviceTimes,
  ownDevices,
  removedFromAccount,
  renameDevice,
  selfContactWrites,
  syncContact,
  syncWrites,
} from './flows/own-devices.ts';
import { devicesOf } from './flows/peers.ts';
import { finishRegistration, maintainPreKeys, uploadFirstPreKeys } from './flows/prekey-maintenance.ts';
import { markRead } from './flows/read-state.ts';
import * as sessions from './flows/sessions.ts';
import { readSettings, updateSettings } from './flows/settings.ts';
import { checkStaleDevices } from './flows/stale-devices.ts';
import { summaryWrites } from './flows/summaries.ts';
import { sendTyping, TypingSent } from './flows/typing.ts';
import { openProfileRecord } from './flows/upgrade-profile.ts';
import type { RecordStore } from './store/record-store.ts';
import { TypingExpiry } from './typing-expiry.ts';
import { contactView, eventView } from './views.ts';

export type { ClientOptions, CreateOptions, PushConnection, PushHandlers } from './client-options.ts';
export { DEFAULT_INVITATION_TTL_MS } from './flows/invitations.ts';
export type { LinkDeviceOptions, LinkResult, LinkSession } from './flows/linking.ts';
export type { JoinOptions, JoinSession } from './flows/linking-join.ts';

/** How often a running client looks for new contact requests (addresses have no push). */
const REQUEST_POLL_MS = 30_000;

type Listener = (e: ClientEvent) => void;

export class ParleyClient {
  private readonly ctx: ClientContext;
  private readonly listeners = new Set<Listener>();
  private queue: Promise<unknown> = Promise.resolve();
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private deliveryTimer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  /** Wakes `events()` iterators waiting for the next event (at close, so they end). */
  private readonly wakers = new Set<() => void>();
  /** Contacts' typing indicators: on until stopped or expired (typing-expiry.ts). */
  private readonly typingIn: TypingExpiry;
  /** What we last told each contact about our typing (flows/typing.ts). */
  private readonly typingOut = new TypingSent();

  private constructor(store: RecordStore, options: ClientOptions, profile: ProfileRecord) {
    const env = options.env ?? defaultEnv;
    const routes = new MailboxRoutes();
    this.typingIn = new TypingExpiry((events) => this.emit(events), options.typingExpiryMs);
    /** Commits one at a time, so that each batch's summaries are computed on the state before it. */
    let commits: Promise<unknown> = Promise.resolve();
    this.ctx = {
      store,
      env,
      options,
      profile,
      push: null,
      routes,
      newId: idSequence(env),
      commit: (writes) => {
        const run = commits.then(async () => {
          // Conversation summaries change in the same batch as what they count (flows/summaries.ts).
          const all = [...writes, ...(await summaryWrites(store, writes))];
          await store.commit(all);
          routes.committed(all);
        });
        commits = run.catch(() => undefined);
        return run;
      },
      serial: (f) => this.serial(f),
      lanes: new Lanes(),
      listFetches: new ListFetches(),
      emit: (events) => {
        this.emit(this.typingIn.filter(events.map(eventView)));
        // A contact connected here: our other devices get it too, with intro mailboxes (§4.9).
        for (const e of events) {
          if (e.type === 'contact-connected' && e.contact.id !== SELF_CONTACT && e.synced !== true) {
            void syncContact(this.ctx, e.contact.id)
              .then((queued) => (queued ? this.flushOutbox() : undefined))
              .catch(() => undefined);
          }
        }
      },
      api: (url) => options.api(url),
    };
  }

  // ─── lifecycle ────────────────────────────────────────────────────────────────────────────

  /** Creates the identity and first device, registers them on `server` and uploads prekeys. */
  static async create(store: RecordStore, options: ClientOptions, create: CreateOptions): Promise<ParleyClient> {
    if ((await store.get('profile', 'self')) !== undefined) {
      throw new ClientError('profile-exists', 'This profile already has an account.');
    }
    const env = options.env ?? defaultEnv;
    checkName(create.displayName);
    const server = checkServer(create.server);
    const profile = newProfile(env, create.displayName, server);
    // Keys first: an account on the server whose keys we lost would be unusable.
    await store.commit([put('profile', 'self', profile)]);
    const client = new ParleyClient(store, options, profile);
    await finishRegistration(client.ctx, create.registrationKey);
    return client;
  }

  /**
   * Joins an account as a new device (docs/client.md §4.10), on an empty store: the handshake
   * with the device that shows `link`, the code, and once the user confirmed on both devices
   * the profile (same identity, this device's own keys), its contacts and the chosen history.
   * On a store holding a transfer a restart interrupted, it resumes it; one holding a linking
   * interrupted before the grant is emptied (`link-aborted`). Before the grant, any failure
   * leaves the store empty; `done` rejects with the reason.
   */
  static async join(store: RecordStore, options: ClientOptions, j: JoinOptions): Promise<JoinSession<ParleyClient>> {
    const env = options.env ?? defaultEnv;
    const bytes = await store.get('linking', LINKING_ID);
    const state = bytes === undefined ? undefined : decodeAs('linking', bytes);
    const profile = await openProfileRecord(store);
    const deps = { store, env, api: (url: string) => options.api(url) };
    if (state?.role === 'new') {
      if (state.stage === 'transfer' && profile !== undefined) {
        const client = new ParleyClient(store, options, profile);
        if (!profile.registered) await finishRegistration(client.ctx, undefined);
        return join(deps, { ...j, link: state.link }, failMake, () => client, { state, ctx: client.ctx });
      }
      if (profile === undefined) {
        await store.commit([{ kind: 'linking', id: LINKING_ID, value: null }]);
        throw linkAborted('interrupted');
      }
    }
    if (profile !== undefined) throw new ClientError('profile-exists', 'This profile already has an account.');
    checkName(j.deviceName);
    decodeJoinLink(env, j.link); // malformed or expired: refused before anything is written
    let client: ParleyClient | null = null;
    const progress = j.onProgress;
    j = {
      ...j,
      onProgress: (p) => {
        progress?.(p);
        client?.emit([{ type: 'history-progress', done: p.received, total: p.total }]);
      },
    };
    const make = async (grant: GrantBody, server: string, s: NewLinking) => {
      const p = linkedProfile(env, grant, server, s.deviceKeys, s.deviceName);
      const c = new ParleyClient(store, options, p);
      const mine = await Promise.all(
        grant.ownDevices.map((d) =>
          introRecord(c.ctx, SELF_CONTACT, d.device, d.theirMailbox).then((r) => ({
            ...r,
            ...(d.name ? { name: d.name } : {}),
          })),
        ),
      );
      await c.ctx.commit([
        put('profile', 'self', p),
        ...(await selfContactWrites(c.ctx)),
        ...mine.map((d) => put('device', d.id, d)),
        put('linking', LINKING_ID, s),
      ]);
      // Not fatal: the profile is committed; a failed upload is finished at the next open or sync.
      await uploadFirstPreKeys(c.ctx).catch(() => undefined);
      client = c;
      return c.ctx;
    };
    const session = join(deps, j, make, () => client as unknown as ParleyClient, null);
    // Introduced at once to every device the grant named (else at the next sync).
    const done = session.done.then(async (c) => {
      await introduceDevices(c.ctx).catch(() => undefined);
      return c;
    });
    done.catch(() => undefined);
    return { ...session, done };
  }

  /** Opens an existing profile; finishes a registration a crash interrupted. */
  static async open(store: RecordStore, options: ClientOptions): Promise<ParleyClient> {
    const profile = await openProfileRecord(store);
    if (profile === undefined)
      throw new ClientError('no-profile', 'There is no account in this profile yet: run init.');
    const client = new ParleyClient(store, options, profile);
    if (!client.ctx.profile.registered) await finishRegistration(client.ctx, undefined);
    return client;
  }

  /** Stops the push connection, waits for work in progress and closes the store (the client owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stop();
    this.typingIn.close();
    this.ctx.listFetches.close();
    for (const wake of this.wakers) wake();
    await this.queue.catch(() => undefined);
    await this.ctx.lanes.idle();
    await this.queue.catch(() => undefined);
    await this.ctx.store.close();
  }

  get profile(): ProfileView {
    const p = this.ctx.profile;
    return { profile: this.ctx.options.profile, displayName: p.displayName, server: p.server, accountId: p.accountId };
  }

  /** Deletes the account on the server (devices, prekeys) and forgets every contact's mailbox here. */
  async deleteAccount(): Promise<void> {
    const ctx = this.ctx;
    await this.serial(async () => {
      const api = ctx.api(ctx.profile.server);
      for (const d of await listRecords(ctx, 'device')) {
        await api.deleteMailbox(ownedMailbox(d.myMailbox)).catch(ignoreGone);
      }
      for (const inv of await listRecords(ctx, 'invitation')) {
        await api.deleteMailbox(ownedMailbox(inv.mailbox)).catch(ignoreGone);
      }
      const address = await getRecord(ctx, 'address', 'self');
      if (address)
        await api.deleteAddress({ id: address.id, ownerPrivateKey: address.owner.privateKey }).catch(ignoreGone);
      await api.deleteAccount(auth(ctx));
    });
  }

  // ─── events ───────────────────────────────────────────────────────────────────────────────

  /** Calls `listener` for every event after it is committed; returns an unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events as an async iterator (ends when the client closes or the loop breaks). */
  async *events(): AsyncGenerator<ClientEvent> {
    const buffered: ClientEvent[] = [];
    let wake: (() => void) | undefined;
    const off = this.on((e) => {
      buffered.push(e);
      wake?.();
    });
    try {
      while (!this.closed) {
        const e = buffered.shift();
        if (e !== undefined) {
          yield e;
          continue;
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            this.wakers.delete(done);
            wake = undefined;
            resolve();
          };
          wake = done;
          this.wakers.add(done);
        });
      }
    } finally {
      off();
    }
  }

  private emit(events: readonly ClientEvent[]): void {
    for (const e of events) {
      for (const l of this.listeners) {
        try {
          l(e);
        } catch {
          // A listener's failure is the app's; the committed state stands.
        }
      }
    }
  }

  /** Runs `f` after every operation queued before it (one state change at a time). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ─── devices ──────────────────────────────────────────────────────────────────────────────

  /**
   * Links a new device to this account (docs/client.md §4.10): shows a link, then the code both
   * devices display; once the user confirmed here and on the new device, registers it, publishes
   * the new device list and sends it the keys, contacts and the history it asked for. Resumes a
   * transfer a restart interrupted; cancels a linking interrupted before that.
   */
  async linkDevice(options: LinkDeviceOptions = {}): Promise<LinkSession> {
    return linkDevice(this.ctx, {
      ...options,
      onProgress: (p) => {
        options.onProgress?.(p);
        this.emit([{ type: 'history-progress', done: p.sent, total: p.total }]);
      },
    });
  }

  // ─── invitations ──────────────────────────────────────────────────────────────────────────

  /** A one-time invitation: a new mailbox on our server whose link carries our keys. */
  async createInvitation(options: { ttlMs?: number } = {}): Promise<InvitationView> {
    return invitations.createInvitation(this.ctx, options);
  }

  async invitations(): Promise<InvitationView[]> {
    return invitations.invitations(this.ctx);
  }

  /**
   * Uses someone's invitation: verifies their keys against the link, starts a session and tells
   * them where to reach us. The contact is `pending` until their answer arrives (`sync`).
   */
  async connect(link: string, options: { name?: string } = {}): Promise<ContactView> {
    return invitations.connect(this.ctx, link, options);
  }

  // ─── contact addresses and requests ──────────────────────────────────────────────────────

  /** Publishes our contact address (one per profile), or returns the existing one. */
  async createAddress(): Promise<AddressView> {
    return requests.createAddress(this.ctx);
  }

  async address(): Promise<AddressView | null> {
    return requests.address(this.ctx);
  }

  /** Revokes our address: the server deletes it with its pending requests; links to it stop working. */
  async revokeAddress(): Promise<boolean> {
    return requests.revokeAddress(this.ctx);
  }

  /** Sends a contact request to someone's address, with an introduction. */
  async sendRequest(link: string, options: { message?: string; name?: string } = {}): Promise<ContactView> {
    return requests.sendRequest(this.ctx, link, options);
  }

  async requests(): Promise<RequestView[]> {
    return requests.requests(this.ctx);
  }

  /** Accepts a contact request: the requester becomes a contact and learns where to reach us. */
  async acceptRequest(requestId: string, options: { name?: string } = {}): Promise<ContactView> {
    return requests.acceptRequest(this.ctx, requestId, options);
  }

  /** Rejects a request: it is deleted here; the requester is not told (their contact stays pending). */
  async rejectRequest(requestId: string): Promise<void> {
    return requests.rejectRequest(this.ctx, requestId);
  }

  // ─── contacts and messages ───────────────────────────────────────────────────────────────

  async contacts(): Promise<ContactView[]> {
    const out: ContactView[] = [];
    for (const c of await listContacts(this.ctx)) out.push(await this.withDevices(c));
    return out;
  }

  /** Finds a contact by alias (case-insensitive) or id. */
  async contact(nameOrId: string): Promise<ContactView> {
    return this.withDevices(await findContact(this.ctx, nameOrId));
  }

  /** A contact's view with the number of their devices we encrypt to. */
  private async withDevices(c: ContactRecord): Promise<ContactView> {
    const now = this.ctx.env.now();
    const times = deviceTimes(this.ctx);
    const n = (await devicesOf(this.ctx, c.id)).filter((d) => canSendTo(d, now, times)).length;
    return contactView(c, n);
  }

  async rename(nameOrId: string, name: string): Promise<ContactView> {
    checkName(name);
    return this.updateContact(nameOrId, async (c) => ({
      ...c,
      name: await uniqueName(this.ctx, name, c.id),
      aliasSet: true,
    }));
  }

  /** Sends a text. It is committed (status `queued`) before it leaves, and retried until a server takes it. */
  async send(nameOrId: string, text: string): Promise<MessageView> {
    if (removedFromAccount(this.ctx)) {
      throw new ClientError(
        'removed-from-account',
        'Another device of this account removed this one: it can no longer send. Link it again to use it.',
      );
    }
    const group = await groupFor(this.ctx, nameOrId);
    if (group !== undefined) return sendToGroup(this.ctx, group, text);
    const sent = await messages.send(this.ctx, nameOrId, text);
    this.typingOut.ended(sent.contactId);
    return sent;
  }

  /**
   * The conversation list: one entry per contact with its unread count and last message, newest
   * activity first (docs/client.md §4.11). Reads one summary record per conversation.
   */
  async conversations(): Promise<ConversationView[]> {
    return conversations(this.ctx);
  }

  /**
   * Marks a contact's incoming messages read — all, or up to and including message `upTo`: they
   * stop counting as unread, our other devices mark them read too, and the contact gets a read
   * receipt if `sendReadReceipts` is on (docs/client.md §4.11).
   */
  async markRead(nameOrId: string, options: { upTo?: string } = {}): Promise<void> {
    await markRead(this.ctx, nameOrId, options);
  }

  /**
   * Tells a contact we are typing (`active`) or stopped: call it while keys are pressed (it sends
   * at most every 2 s) and with `false` on blur; sending a text ends it. Ephemeral: never stored,
   * queued or resent; sent only while the client is online and `sendTyping` is on.
   */
  async typing(nameOrId: string, active: boolean): Promise<void> {
    await sendTyping(this.ctx, this.typingOut, nameOrId, active);
  }

  // ─── settings ─────────────────────────────────────────────────────────────────────────────

  /** The profile's settings (read receipts, typing indicators); both on unless changed. */
  async settings(): Promise<SettingsView> {
    return readSettings(this.ctx);
  }

  /** Changes some settings; the others keep their value. Stored encrypted, on this device only. */
  async updateSettings(patch: Partial<SettingsView>): Promise<SettingsView> {
    return updateSettings(this.ctx, patch);
  }

  /** A conversation's history, oldest first (`limit` newest ones). */
  async messages(nameOrId: string, options: { limit?: number } = {}): Promise<MessageView[]> {
    const group = await groupFor(this.ctx, nameOrId);
    if (group !== undefined) return groupMessages(this.ctx, group, options);
    return messages.messages(this.ctx, nameOrId, options);
  }

  /**
   * Incoming messages not yet taken by the app, in arrival order. `take` marks them read (as
   * `markRead`, receipts included), so each message is handed out once (history keeps them).
   */
  async unread(options: { take?: boolean } = {}): Promise<MessageView[]> {
    return messages.unread(this.ctx, options);
  }

  // ─── groups (docs/client.md §4.12) ─────────────────────────────────────────────────────────

  /**
   * Creates an MLS group with this device, then adds our other devices. The name and description
   * are end-to-end encrypted: the server sees a random group id only.
   */
  async createGroup(options: { name: string; description?: string }): Promise<GroupView> {
    return groupView(await createGroup(this.ctx, options), this.ctx.profile.accountId);
  }

  /** Adds every device of each contact (and any of ours not in yet) in one commit; Welcomes go 1:1. */
  async addToGroup(group: string, contacts: readonly string[]): Promise<GroupView> {
    return groupView(
      await addToGroup(this.ctx, await findGroup(this.ctx, group), contacts),
      this.ctx.profile.accountId,
    );
  }

  /** Removes every device of the contact in one commit: they read nothing newer and cannot post. */
  async removeFromGroup(group: string, contact: string): Promise<GroupView> {
    return groupView(
      await removeFromGroup(this.ctx, await findGroup(this.ctx, group), contact),
      this.ctx.profile.accountId,
    );
  }

  /** Makes a contact an admin of the group too (admins alone add and remove members). */
  async addGroupAdmin(group: string, contact: string): Promise<GroupView> {
    const g = await addGroupAdmin(this.ctx, await findGroup(this.ctx, group), contact);
    return groupView(g, this.ctx.profile.accountId);
  }

  /** Leaves: the members are asked to remove our devices; this one stops reading at once. */
  async leaveGroup(group: string): Promise<void> {
    await leaveGroup(this.ctx, await findGroup(this.ctx, group));
  }

  async groups(): Promise<GroupView[]> {
    return groups(this.ctx);
  }

  /** The group's member devices, with who each is to us (self, a contact and its verification, a stranger). */
  async groupMembers(group: string): Promise<GroupMemberView[]> {
    return groupMembers(this.ctx, await findGroup(this.ctx, group));
  }

  // ─── verification ────────────────────────────────────────────────────────────────────────

  async safetyNumber(nameOrId: string): Promise<SafetyNumberView> {
    const c = await findContact(this.ctx, nameOrId);
    const n = safetyNumber(this.ctx.env, publicIdentity(this.ctx.profile.identity), identityFrom(c.identity));
    return { display: n.display, qrPayload: base64url(n.qrPayload) };
  }

  /** The user compared the safety number: the contact's current key is verified (and accepted). */
  async verify(nameOrId: string): Promise<ContactView> {
    return this.updateContact(nameOrId, async (c) => ({ ...c, verification: 'verified', replacedIdentity: null }));
  }

  /** Accepts a changed identity key without comparing it: sending works again, the contact is unverified. */
  async acceptIdentityChange(nameOrId: string): Promise<ContactView> {
    return this.updateContact(nameOrId, async (c) => ({ ...c, verification: 'unverified', replacedIdentity: null }));
  }

  /** Changes a contact and tells our other devices (§4.9) in the same batch. */
  private async updateContact(nameOrId: string, f: (c: ContactRecord) => Promise<ContactRecord>): Promise<ContactView> {
    const { view, queued } = await this.serial(async () => {
      const next = await f(await findContact(this.ctx, nameOrId));
      const synced = next.state === 'connected' ? await syncWrites(this.ctx, await contactSync(this.ctx, next)) : [];
      await this.ctx.commit([put('contact', next.id, next), ...synced]);
      return { view: contactView(next), queued: synced.length > 0 };
    });
    if (queued) await this.flushOutbox().catch(ignoreDeliveryFailure);
    return view;
  }

  // ─── devices (docs/client.md §4.9) ─────────────────────────────────────────────────────────

  /** Our account's devices: name, when linked, when last active, stale, and which one this is. */
  async devices(): Promise<DeviceView[]> {
    return ownDevices(this.ctx);
  }

  /** Names one of our devices (this one included); our other devices show the name too. */
  async renameDevice(id: number, name: string): Promise<DeviceView[]> {
    checkName(name);
    return renameDevice(this.ctx, id, name);
  }

  /**
   * Removes another device of our account: a new signed list without it is published and sent to
   * every contact, who stop encrypting to it and refuse what it sends; the server forgets it.
   */
  async removeDevice(id: number): Promise<DeviceView[]> {
    await removeOwnDevice(this.ctx, id);
    return ownDevices(this.ctx);
  }

  // ─── session management ──────────────────────────────────────────────────────────────────

  /** Starts a fresh session with a contact (their current keys, pinned to the identity we know). */
  async resetSession(nameOrId: string): Promise<void> {
    await sessions.resetSession(this.ctx, nameOrId);
  }

  /**
   * Replaces this profile's identity (after a lost or compromised device: a "reinstall" that
   * keeps the contact list). Registers the new identity on our server, deletes the old account,
   * and starts a new session with every connected contact — who see an identity-change warning.
   */
  async rotateIdentity(): Promise<void> {
    await sessions.rotateIdentity(this.ctx);
  }

  // ─── syncing ─────────────────────────────────────────────────────────────────────────────

  /**
   * Catches up: sends what is queued, tops up prekeys, reads every mailbox and our address's
   * requests, and (with `waitMs`) stays connected that long for pushed messages. Returns the
   * events it produced, in order.
   */
  async sync(options: { waitMs?: number } = {}): Promise<ClientEvent[]> {
    const ctx = this.ctx;
    const seen: ClientEvent[] = [];
    const off = this.on((e) => seen.push(e));
    try {
      // A contact's server being down leaves those messages queued (retried on the next sync or
      // reconnect); it must not stop us reading our own server.
      await this.flushOutbox().catch(ignoreDeliveryFailure);
      if (ctx.profile.retiring !== undefined) await sessions.finishRotation(ctx);
      await this.serial(() => invitations.expireInvitations(ctx));
      const removed = await this.maintainOrRemoved();
      await catchUp(ctx);
      if (!removed) await introduceDevices(ctx);
      if (!removed) await syncGroups(ctx);
      await this.checkDelivery();
      if (options.waitMs !== undefined && options.waitMs > 0) {
        // Online for the wait only if the app had not started us; its connection stays up.
        const wasOnline = ctx.push !== null;
        if (!wasOnline) await this.start();
        await new Promise((r) => setTimeout(r, options.waitMs));
        if (!wasOnline) await this.stop();
        await this.flushOutbox().catch(ignoreDeliveryFailure);
      }
    } finally {
      off();
    }
    return seen;
  }

  /**
   * Tops up prekeys, unless another device of ours removed this one (§4.9): then our device
   * credential is refused, and our own signed list — fetched only then, not at every sync — says
   * why (`removed-from-account`). Returns whether this device is removed.
   */
  private async maintainOrRemoved(): Promise<boolean> {
    const ctx = this.ctx;
    if (removedFromAccount(ctx)) return true;
    try {
      await this.serial(() => maintainPreKeys(ctx, true));
      return false;
    } catch (e) {
      if (ctx.profile.deviceList === undefined || !refused(e, 'not-owner')) throw e;
      await refreshDeviceList(ctx, SELF_CONTACT);
      if (!removedFromAccount(ctx)) throw e;
      return true;
    }
  }

  /** Stays online: pushed messages are processed as they arrive; requests are polled. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.push !== null) return;
    const push = ctx.options.push(ctx.profile.server, {
      onMessage: (m) => receive(ctx, mailboxKey(m.mailboxId), m.seq, m.envelope, false),
      onState: (state) => {
        this.emit([{ type: 'connection', state }]);
        if (state === 'online') this.flushOutbox().catch(() => undefined);
      },
      onError: () => undefined,
    });
    ctx.push = push;
    for (const m of await ownMailboxes(ctx)) push.subscribe(ownedMailbox(m));
    await startGroupPush(ctx);
    const { resendAfterMs, gapGraceMs } = deliveryOptions(ctx);
    this.deliveryTimer = setInterval(
      () => this.checkDelivery().catch(() => undefined),
      Math.max(1000, Math.min(resendAfterMs, gapGraceMs) / 2),
    );
    this.pollTimer = setInterval(() => {
      requests
        .checkRequests(ctx)
        .then(() => this.serial(() => maintainPreKeys(ctx, false)))
        .catch(() => undefined);
    }, REQUEST_POLL_MS);
  }

  async stop(): Promise<void> {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.deliveryTimer !== null) clearInterval(this.deliveryTimer);
    this.deliveryTimer = null;
    this.ctx.push?.close();
    this.ctx.push = null;
    stopGroupPush(this.ctx);
  }

  /**
   * Resends texts that got no receipt (or marks them failed) and reports messages missing from
   * contacts' counters (docs/client.md §4.6).
   */
  private async checkDelivery(): Promise<void> {
    if (await resendUnconfirmed(this.ctx)) await this.flushOutbox().catch(ignoreDeliveryFailure);
    await reportGaps(this.ctx);
    await checkStaleDevices(this.ctx);
  }

  /**
   * Delivers queued envelopes, in order per mailbox. A server that cannot take one (unreachable,
   * rate-limited, failing) holds back the rest of what goes to it, not what goes to other servers:
   * a contact's server being down must not stop us talking to everyone else. Throws the first
   * such failure once everything else has been tried.
   */
  async flushOutbox(): Promise<void> {
    await flushOutbox(this.ctx);
  }
}

/** Resuming a transfer never makes a profile: it exists already. */
const failMake = async (): Promise<never> => {
  throw new ClientError('internal', 'The profile exists already.');
};

function checkServer(url: string): string {
  try {
    return checkServerUrl(url.trim().replace(/\/+$/, ''));
  } catch {
    throw new ClientError(
      'usage',
      'The server address must be an http:// or https:// URL, e.g. http://127.0.0.1:8787.',
    );
  }
}
