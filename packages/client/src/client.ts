/**
 * `ParleyClient`: one profile (identity, device, contacts, history) on one home server. It drives
 * the pure engine (engine/*) with I/O: the record store, the server API over HTTP, and the push
 * socket. Every state change is computed first and committed as one batch before anything leaves
 * the device or is acknowledged to a server, so a crash at any point loses nothing and decrypts
 * nothing twice (docs/client.md §6). Operations on one client run one at a time.
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
import {
  accountIdOf,
  base64url,
  createInitiatorSession,
  decodeSession,
  defaultEnv,
  deviceId,
  generateEd25519,
  type InitialMessage,
  kemPreKeyPublic,
  oneTimePreKeyPublic,
  type ProtocolEnv,
  ProtocolError,
  type PublicIdentity,
  publicIdentity,
  Reader,
  readIdentity,
  type Session,
  safetyNumber,
  sameIdentity,
  signedPreKeyPublic,
  verifyBundle,
} from '@parley/protocol';
import type {
  AddressView,
  ClientEvent,
  ContactView,
  InvitationView,
  MessageView,
  ProfileView,
  RequestView,
  SafetyNumberView,
} from './api.ts';
import { type OpenedRequest, openRequest, requestPayload } from './engine/contact-request.ts';
import {
  acceptNewSession,
  continuesSession,
  lastResortKey,
  type Opened,
  openOnContact,
  type ResponderKeySet,
  replaceSession,
  seal,
  tryInitialMessage,
} from './engine/conversation.ts';
import { idSequence, type NewId } from './engine/id-sequence.ts';
import {
  checkServerUrl,
  decodeAddressLink,
  decodeInvitation,
  encodeAddressLink,
  encodeInvitation,
} from './engine/links.ts';
import { contactFromHello, contactFromRequest, helloOf, pendingContact } from './engine/new-contact.ts';
import { outboxWrite } from './engine/outbox-entry.ts';
import { MAX_INTRO, MAX_NAME, MAX_TEXT } from './engine/payload.ts';
import { applyPayload, receiptIds } from './engine/payload-effects.ts';
import { PREKEY_POLICY, planPreKeys } from './engine/prekeys.ts';
import { newProfile, rotatedProfile } from './engine/profile.ts';
import {
  type AddressRecord,
  type ContactRecord,
  decodeRecord,
  del,
  type InvitationRecord,
  type KemPreKeyRecord,
  keyId,
  type MessageRecord,
  mailboxKey,
  messageKind,
  type OutboxRecord,
  type OwnMailbox,
  type ProfileRecord,
  peerMailboxOf,
  put,
  type RequestRecord,
} from './engine/records.ts';
import { ClientError } from './errors.ts';
import type { DeviceAuth, OwnedMailbox, ServerApiLike } from './net/server-api-types.ts';
import type { RecordStore, RecordWrite } from './store/record-store.ts';
import { contactView, messageView, requestView } from './views.ts';

/** What the client needs of a push connection to its home server (net/mailbox-socket.ts). */
export interface PushConnection {
  subscribe(mailbox: OwnedMailbox): void;
  unsubscribe(mailboxId: Uint8Array): void;
  close(): void;
}

export interface PushHandlers {
  /** Handles one pushed message; the connection acknowledges it once this resolves. */
  onMessage(m: { mailboxId: Uint8Array; seq: number; envelope: Uint8Array; receivedAt: number }): Promise<void>;
  onState(state: 'online' | 'offline'): void;
  onError(error: unknown): void;
}

export interface ClientOptions {
  /** Crypto backend, randomness and clock (default: the protocol's platform default). */
  readonly env?: ProtocolEnv;
  /** The profile's label in this client (shown in views; not sent anywhere). */
  readonly profile: string;
  /** A server API for a base URL (ours, and our contacts' servers). */
  readonly api: (url: string) => ServerApiLike;
  /** Opens the push connection to our server (`start()`; `sync({ waitMs })`). */
  readonly push: (url: string, handlers: PushHandlers) => PushConnection;
}

export interface CreateOptions {
  readonly server: string;
  readonly displayName: string;
  readonly registrationKey?: string;
}

/** Invitations expire after a week unless the caller says otherwise. */
export const DEFAULT_INVITATION_TTL_MS = 7 * 24 * 3600_000;
/** How often a running client looks for new contact requests (addresses have no push). */
const REQUEST_POLL_MS = 30_000;

type Listener = (e: ClientEvent) => void;

/** Which record owns each of our mailboxes (by base64url mailbox id), and the records indexed. */
interface Routes {
  readonly byMailbox: Map<string, { readonly kind: 'contact' | 'invitation'; readonly id: string }>;
  readonly records: Set<string>;
}

export class ParleyClient {
  private profileRecord: ProfileRecord;
  private readonly listeners = new Set<Listener>();
  private queue: Promise<unknown> = Promise.resolve();
  private push: PushConnection | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private readonly newId: NewId;
  private routeCache: Routes | null = null;
  private closed = false;
  /** Wakes `events()` iterators waiting for the next event (at close, so they end). */
  private readonly wakers = new Set<() => void>();

  private readonly env: ProtocolEnv;

  private constructor(
    private readonly store: RecordStore,
    private readonly options: ClientOptions,
    profile: ProfileRecord,
  ) {
    this.profileRecord = profile;
    this.env = options.env ?? defaultEnv;
    this.newId = idSequence(this.env);
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
    await client.finishRegistration(create.registrationKey);
    return client;
  }

  /** Opens an existing profile; finishes a registration a crash interrupted. */
  static async open(store: RecordStore, options: ClientOptions): Promise<ParleyClient> {
    const bytes = await store.get('profile', 'self');
    if (bytes === undefined) throw new ClientError('no-profile', 'There is no account in this profile yet: run init.');
    const client = new ParleyClient(store, options, decodeRecord<ProfileRecord>(bytes));
    if (!client.profileRecord.registered) await client.finishRegistration(undefined);
    return client;
  }

  private async finishRegistration(registrationKey: string | undefined): Promise<void> {
    const p = this.profileRecord;
    const api = this.api(p.server);
    try {
      await api.register(p.identity, deviceId(p.device), p.deviceKeys, registrationKey);
    } catch (e) {
      // 409: a crash after the server registered us but before we noted it.
      if (!(ClientError.is(e, 'server-error') && e.status === 409)) throw e;
    }
    await this.refillPreKeys(null);
  }

  /** Stops the push connection, waits for work in progress and closes the store (the client owns it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stop();
    for (const wake of this.wakers) wake();
    await this.queue.catch(() => undefined);
    await this.store.close();
  }

  get profile(): ProfileView {
    const p = this.profileRecord;
    return { profile: this.options.profile, displayName: p.displayName, server: p.server, accountId: p.accountId };
  }

  /** Deletes the account on the server (devices, prekeys) and forgets every contact's mailbox here. */
  async deleteAccount(): Promise<void> {
    await this.serial(async () => {
      const api = this.api(this.profileRecord.server);
      for (const c of await this.contacts()) {
        const rec = await this.loadContact(c.id);
        await api.deleteMailbox(ownedMailbox(rec.myMailbox)).catch(ignoreGone);
      }
      for (const inv of await this.listRecords<InvitationRecord>('invitation')) {
        await api.deleteMailbox(ownedMailbox(inv.mailbox)).catch(ignoreGone);
      }
      const address = await this.getRecord<AddressRecord>('address', 'self');
      if (address)
        await api.deleteAddress({ id: address.id, ownerPrivateKey: address.owner.privateKey }).catch(ignoreGone);
      await api.deleteAccount(this.auth());
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

  // ─── invitations ──────────────────────────────────────────────────────────────────────────

  /** A one-time invitation: a new mailbox on our server whose link carries our keys. */
  async createInvitation(options: { ttlMs?: number } = {}): Promise<InvitationView> {
    return this.serial(async () => {
      const env = this.env;
      const p = this.profileRecord;
      const mailbox = await this.newMailbox();
      const now = env.now();
      const expiresAt = now + (options.ttlMs ?? DEFAULT_INVITATION_TTL_MS);
      const link = encodeInvitation({
        server: p.server,
        identity: publicIdentity(p.identity),
        device: deviceId(p.device),
        mailboxId: mailbox.id,
        senderPrivateKey: mailbox.sender.privateKey,
        expiresAt,
      });
      const id = this.newId();
      const record: InvitationRecord = { v: 1, id, mailbox, link, createdAt: now, expiresAt };
      await this.commit([put('invitation', id, record)]);
      this.push?.subscribe(ownedMailbox(mailbox));
      return { id, link, expiresAt };
    });
  }

  async invitations(): Promise<InvitationView[]> {
    return (await this.listRecords<InvitationRecord>('invitation')).map((i) => ({
      id: i.id,
      link: i.link,
      expiresAt: i.expiresAt,
    }));
  }

  /**
   * Uses someone's invitation: verifies their keys against the link, starts a session and tells
   * them where to reach us. The contact is `pending` until their answer arrives (`sync`).
   */
  async connect(link: string, options: { name?: string } = {}): Promise<ContactView> {
    const env = this.env;
    const inv = decodeInvitation(env, link);
    if (options.name !== undefined) checkName(options.name);
    if (inv.expiresAt <= env.now()) {
      throw new ClientError('invitation-expired', 'This invitation has expired. Ask for a new one.');
    }
    return this.serial(async () => {
      this.refuseOwn(inv.identity);
      const contact = await this.startContact(inv.server, inv.identity, inv.device, 'invitation', options.name);
      const { contact: sealed, envelope } = seal(env, contact, {
        t: 'hello',
        name: this.profileRecord.displayName,
        mailbox: peerMailboxOf(this.profileRecord.server, contact.myMailbox),
      });
      return this.introduce(
        sealed,
        () => this.api(inv.server).deliver(inv.mailboxId, inv.senderPrivateKey, envelope),
        new ClientError('invitation-used', 'This invitation was already used or withdrawn. Ask for a new one.'),
      );
    });
  }

  /**
   * Commits a new pending contact, then sends its first message (`send`). The contact is written
   * first so that a crash right after the send cannot leave the peer with a contact we lack (their
   * answers would go to a mailbox nobody reads). If the send fails the contact and its mailbox are
   * removed again (a 404 becomes `gone`), so the user can simply retry.
   */
  private async introduce(
    contact: ContactRecord,
    send: () => Promise<unknown>,
    gone: ClientError,
  ): Promise<ContactView> {
    await this.commit([put('contact', contact.id, contact)]);
    try {
      await send();
    } catch (e) {
      await this.commit([del('contact', contact.id)]);
      await this.api(this.profileRecord.server)
        .deleteMailbox(ownedMailbox(contact.myMailbox))
        .catch(() => undefined);
      throw ClientError.is(e, 'server-error') && e.status === 404 ? gone : e;
    }
    this.push?.subscribe(ownedMailbox(contact.myMailbox));
    return contactView(contact);
  }

  // ─── contact addresses and requests ──────────────────────────────────────────────────────

  /** Publishes our contact address (one per profile), or returns the existing one. */
  async createAddress(): Promise<AddressView> {
    return this.serial(async () => {
      const existing = await this.getRecord<AddressRecord>('address', 'self');
      if (existing) return { link: existing.link, createdAt: existing.createdAt };
      const p = this.profileRecord;
      const owner = generateEd25519(this.env);
      const id = await this.api(p.server).createAddress(this.auth(), owner.publicKey);
      const link = encodeAddressLink({
        server: p.server,
        identity: publicIdentity(p.identity),
        device: deviceId(p.device),
        addressId: id,
      });
      const record: AddressRecord = { v: 1, id, owner, link, createdAt: this.env.now(), lastSeq: 0 };
      await this.commit([put('address', 'self', record)]);
      return { link, createdAt: record.createdAt };
    });
  }

  async address(): Promise<AddressView | null> {
    const a = await this.getRecord<AddressRecord>('address', 'self');
    return a ? { link: a.link, createdAt: a.createdAt } : null;
  }

  /** Revokes our address: the server deletes it with its pending requests; links to it stop working. */
  async revokeAddress(): Promise<boolean> {
    return this.serial(async () => {
      const a = await this.getRecord<AddressRecord>('address', 'self');
      if (!a) return false;
      await this.api(this.profileRecord.server)
        .deleteAddress({ id: a.id, ownerPrivateKey: a.owner.privateKey })
        .catch(ignoreGone);
      const pending = await this.listRecords<RequestRecord>('request');
      await this.commit([del('address', 'self'), ...pending.map((r) => del('request', r.id))]);
      return true;
    });
  }

  /** Sends a contact request to someone's address, with an introduction. */
  async sendRequest(link: string, options: { message?: string; name?: string } = {}): Promise<ContactView> {
    const env = this.env;
    const addr = decodeAddressLink(env, link);
    const message = options.message ?? '';
    if (message.length > MAX_INTRO)
      throw new ClientError('usage', `The introduction is longer than ${MAX_INTRO} characters.`);
    if (options.name !== undefined) checkName(options.name);
    return this.serial(async () => {
      this.refuseOwn(addr.identity);
      const contact = await this.startContact(addr.server, addr.identity, addr.device, 'address', options.name);
      const request = requestPayload(env, this.profileRecord, addr.addressId, message, contact.myMailbox);
      const { contact: sealed, envelope } = seal(env, contact, request);
      return this.introduce(
        sealed,
        () => this.api(addr.server).postRequest(addr.addressId, envelope),
        new ClientError('address-revoked', 'This contact address was revoked by its owner.'),
      );
    });
  }

  async requests(): Promise<RequestView[]> {
    return (await this.listRecords<RequestRecord>('request')).map(requestView);
  }

  /** Accepts a contact request: the requester becomes a contact and learns where to reach us. */
  async acceptRequest(requestId: string, options: { name?: string } = {}): Promise<ContactView> {
    if (options.name !== undefined) checkName(options.name);
    return this.serial(async () => {
      const r = await this.getRecord<RequestRecord>('request', requestId);
      if (!r) throw new ClientError('unknown-request', 'There is no pending request with that id: run `requests`.');
      const env = this.env;
      const myMailbox = await this.newMailbox();
      const id = this.newId();
      const slot = { id, name: await this.uniqueName(options.name ?? r.name), myMailbox };
      const base = contactFromRequest(env, slot, r, options.name !== undefined);
      const { contact, envelope } = seal(env, base, {
        t: 'accept',
        name: this.profileRecord.displayName,
        mailbox: peerMailboxOf(this.profileRecord.server, myMailbox),
      });
      await this.commit([
        put('contact', contact.id, contact),
        del('request', r.id),
        outboxWrite(contact, envelope, null, this.newId()),
      ]);
      this.push?.subscribe(ownedMailbox(myMailbox));
      await this.flushOutboxLocked();
      return contactView(contact);
    });
  }

  /** Rejects a request: it is deleted here; the requester is not told (their contact stays pending). */
  async rejectRequest(requestId: string): Promise<void> {
    await this.serial(async () => {
      const r = await this.getRecord<RequestRecord>('request', requestId);
      if (!r) throw new ClientError('unknown-request', 'There is no pending request with that id: run `requests`.');
      await this.commit([del('request', r.id)]);
    });
  }

  // ─── contacts and messages ───────────────────────────────────────────────────────────────

  async contacts(): Promise<ContactView[]> {
    return (await this.listRecords<ContactRecord>('contact')).map(contactView);
  }

  /** Finds a contact by alias (case-insensitive) or id. */
  async contact(nameOrId: string): Promise<ContactView> {
    return contactView(await this.findContact(nameOrId));
  }

  async rename(nameOrId: string, name: string): Promise<ContactView> {
    checkName(name);
    return this.serial(async () => {
      const c = await this.findContact(nameOrId);
      const next = { ...c, name: await this.uniqueName(name, c.id), aliasSet: true };
      await this.commit([put('contact', c.id, next)]);
      return contactView(next);
    });
  }

  /** Sends a text. It is committed (status `queued`) before it leaves, and retried until a server takes it. */
  async send(nameOrId: string, text: string): Promise<MessageView> {
    if (text.length === 0) throw new ClientError('usage', 'The message is empty.');
    if (text.length > MAX_TEXT) throw new ClientError('usage', `The message is longer than ${MAX_TEXT} characters.`);
    const message = await this.serial(async () => {
      const c = await this.findContact(nameOrId);
      if (c.replacedIdentity !== null && c.verification === 'verified') {
        throw new ClientError(
          'identity-changed',
          `${c.name}'s safety number changed and ${c.name} was verified: compare the new safety number (verify) and accept it before sending.`,
        );
      }
      if (c.state !== 'connected' || c.theirMailbox === null) {
        throw new ClientError(
          'not-connected',
          `${c.name} has not answered yet: wait for them to accept, then try again.`,
        );
      }
      const now = this.env.now();
      const id = this.newId();
      const { contact, envelope } = seal(this.env, c, { t: 'text', id, sentAt: now, body: text });
      const record: MessageRecord = {
        v: 1,
        id,
        contactId: c.id,
        direction: 'out',
        text,
        sentAt: now,
        storedAt: now,
        status: 'queued',
        wireId: id,
      };
      await this.commit([
        put('contact', c.id, contact),
        put(messageKind(c.id), id, record),
        outboxWrite(contact, envelope, { contactId: c.id, id }, id),
      ]);
      return record;
    });
    await this.flushOutbox().catch(ignoreDeliveryFailure);
    return messageView((await this.getRecord<MessageRecord>(messageKind(message.contactId), message.id)) ?? message);
  }

  /** A conversation's history, oldest first (`limit` newest ones). */
  async messages(nameOrId: string, options: { limit?: number } = {}): Promise<MessageView[]> {
    const c = await this.findContact(nameOrId);
    const rows = await this.store.list(messageKind(c.id), { reverse: true, limit: options.limit ?? 100 });
    return rows.map((r) => messageView(decodeRecord<MessageRecord>(r.value))).reverse();
  }

  /**
   * Incoming messages not yet taken by the app, in arrival order. `take` removes them, so each
   * message is handed out once (history keeps them).
   */
  async unread(options: { take?: boolean } = {}): Promise<MessageView[]> {
    const rows = await this.store.list('inbox');
    const out: MessageView[] = [];
    for (const r of rows) {
      const { contactId } = decodeRecord<{ contactId: string }>(r.value);
      const m = await this.getRecord<MessageRecord>(messageKind(contactId), r.id);
      if (m) out.push(messageView(m));
    }
    if (options.take && rows.length > 0) await this.commit(rows.map((r) => del('inbox', r.id)));
    return out;
  }

  // ─── verification ────────────────────────────────────────────────────────────────────────

  async safetyNumber(nameOrId: string): Promise<SafetyNumberView> {
    const c = await this.findContact(nameOrId);
    const n = safetyNumber(this.env, publicIdentity(this.profileRecord.identity), identityFrom(c.identity));
    return { display: n.display, qrPayload: base64url(n.qrPayload) };
  }

  /** The user compared the safety number: the contact's current key is verified (and accepted). */
  async verify(nameOrId: string): Promise<ContactView> {
    return this.updateContact(nameOrId, (c) => ({ ...c, verification: 'verified', replacedIdentity: null }));
  }

  /** Accepts a changed identity key without comparing it: sending works again, the contact is unverified. */
  async acceptIdentityChange(nameOrId: string): Promise<ContactView> {
    return this.updateContact(nameOrId, (c) => ({ ...c, verification: 'unverified', replacedIdentity: null }));
  }

  private async updateContact(nameOrId: string, f: (c: ContactRecord) => ContactRecord): Promise<ContactView> {
    return this.serial(async () => {
      const next = f(await this.findContact(nameOrId));
      await this.commit([put('contact', next.id, next)]);
      return contactView(next);
    });
  }

  // ─── session management ──────────────────────────────────────────────────────────────────

  /** Starts a fresh session with a contact (their current keys, pinned to the identity we know). */
  async resetSession(nameOrId: string): Promise<void> {
    await this.serial(async () => {
      await this.restartSession(await this.findContact(nameOrId));
    });
    await this.flushOutbox().catch(ignoreDeliveryFailure);
  }

  private async restartSession(c: ContactRecord, identity = this.profileRecord.identity): Promise<void> {
    if (c.theirMailbox === null) return;
    const env = this.env;
    const theirs = identityFrom(c.identity);
    const bundle = await this.api(c.theirMailbox.server).fetchBundle(accountIdOf(theirs), deviceId(c.device));
    verifyBundle(env, bundle, theirs);
    const session = createInitiatorSession(env, identity, deviceId(this.profileRecord.device), bundle, theirs);
    const { contact, envelope } = seal(env, replaceSession(c, session), { t: 'reset' });
    await this.commit([put('contact', contact.id, contact), outboxWrite(contact, envelope, null, this.newId())]);
  }

  /**
   * Replaces this profile's identity (after a lost or compromised device: a "reinstall" that
   * keeps the contact list). Registers the new identity on our server, deletes the old account,
   * and starts a new session with every connected contact — who see an identity-change warning.
   */
  async rotateIdentity(): Promise<void> {
    await this.serial(async () => {
      const env = this.env;
      const old = this.profileRecord;
      const profile = rotatedProfile(env, old);
      // The old identity's one-time prekeys die with its account.
      const stale = [
        ...(await this.store.list('otpk')).map((r) => del('otpk', r.id)),
        ...(await this.store.list('kempk')).map((r) => del('kempk', r.id)),
      ];
      await this.commit([put('profile', 'self', profile), ...stale]);
      const oldAuth = this.auth();
      this.profileRecord = profile;
      await this.finishRegistration(undefined);
      await this.api(old.server)
        .deleteAccount(oldAuth)
        .catch(() => undefined);
      for (const c of await this.listRecords<ContactRecord>('contact')) {
        if (c.state === 'connected') await this.restartSession(c, profile.identity);
      }
    });
    await this.flushOutbox().catch(ignoreDeliveryFailure);
  }

  // ─── syncing ─────────────────────────────────────────────────────────────────────────────

  /**
   * Catches up: sends what is queued, tops up prekeys, reads every mailbox and our address's
   * requests, and (with `waitMs`) stays connected that long for pushed messages. Returns the
   * events it produced, in order.
   */
  async sync(options: { waitMs?: number } = {}): Promise<ClientEvent[]> {
    const seen: ClientEvent[] = [];
    const off = this.on((e) => seen.push(e));
    try {
      // A contact's server being down leaves those messages queued (retried on the next sync or
      // reconnect); it must not stop us reading our own server.
      await this.flushOutbox().catch(ignoreDeliveryFailure);
      await this.serial(() => this.expireInvitations());
      await this.serial(() => this.maintainPreKeys(true));
      await this.catchUp();
      if (options.waitMs !== undefined && options.waitMs > 0) {
        await this.start();
        await new Promise((r) => setTimeout(r, options.waitMs));
        await this.stop();
        await this.flushOutbox().catch(ignoreDeliveryFailure);
      }
    } finally {
      off();
    }
    return seen;
  }

  /** Stays online: pushed messages are processed as they arrive; requests are polled. */
  async start(): Promise<void> {
    if (this.push !== null) return;
    const push = this.options.push(this.profileRecord.server, {
      onMessage: (m) => this.receive(mailboxKey(m.mailboxId), m.seq, m.envelope, false),
      onState: (state) => {
        this.emit([{ type: 'connection', state }]);
        if (state === 'online') this.flushOutbox().catch(() => undefined);
      },
      onError: () => undefined,
    });
    this.push = push;
    for (const m of await this.ownMailboxes()) push.subscribe(ownedMailbox(m));
    this.pollTimer = setInterval(() => {
      this.checkRequests()
        .then(() => this.serial(() => this.maintainPreKeys(false)))
        .catch(() => undefined);
    }, REQUEST_POLL_MS);
  }

  async stop(): Promise<void> {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.push?.close();
    this.push = null;
  }

  /** Withdraws invitations past their expiry: their mailboxes are deleted on the server. */
  private async expireInvitations(): Promise<void> {
    const now = this.env.now();
    for (const inv of await this.listRecords<InvitationRecord>('invitation')) {
      if (inv.expiresAt > now) continue;
      await this.api(this.profileRecord.server).deleteMailbox(ownedMailbox(inv.mailbox)).catch(ignoreGone);
      await this.commit([del('invitation', inv.id)]);
    }
  }

  /** Reads every mailbox we own over HTTP, in order, and the address's requests. */
  private async catchUp(): Promise<void> {
    const api = this.api(this.profileRecord.server);
    for (const m of await this.ownMailboxes()) {
      let after = m.lastSeq;
      for (;;) {
        const batch = await api.readMailbox(ownedMailbox(m), after, 200).catch((e: unknown) => {
          if (ClientError.is(e, 'server-error') && e.status === 401) return []; // mailbox gone
          throw e;
        });
        for (const item of batch) await this.receive(mailboxKey(m.id), item.seq, item.envelope, true);
        if (batch.length < 200) break;
        after = (batch[batch.length - 1] as { seq: number }).seq;
      }
    }
    await this.checkRequests();
  }

  /**
   * Processes one envelope from one of our mailboxes after committing what it changes; then
   * acknowledges it (`ack`: over HTTP here; pushed messages are acknowledged by the connection
   * when this resolves). A crash before the acknowledgement means a redelivery, which the
   * mailbox's `lastSeq` turns into a no-op.
   */
  private async receive(mailbox: string, seq: number, envelope: Uint8Array, ack: boolean): Promise<void> {
    const processed = await this.serial(() => this.process(mailbox, seq, envelope));
    if (ack && processed !== null) {
      await this.api(this.profileRecord.server)
        .ackMailbox(ownedMailbox(processed), [seq])
        .catch(() => undefined);
    }
    await this.flushOutbox().catch(() => undefined);
  }

  /** Returns the mailbox to acknowledge `seq` on (null: nothing to acknowledge). */
  private async process(mailbox: string, seq: number, envelope: Uint8Array): Promise<OwnMailbox | null> {
    const route = (await this.routes()).get(mailbox);
    if (route === undefined) return null;
    if (route.kind === 'contact') {
      const c = await this.getRecord<ContactRecord>('contact', route.id);
      return c ? this.processOnContact(c, seq, envelope) : null;
    }
    const inv = await this.getRecord<InvitationRecord>('invitation', route.id);
    return inv ? this.processOnInvitation(inv, seq, envelope) : null;
  }

  /**
   * Which record owns each of our mailboxes, built from the records on first use and dropped
   * whenever a contact or invitation is added or removed (see {@link commit}). Kept in memory
   * only: mailbox ids never appear in the clear in the local store.
   */
  private async routes(): Promise<Routes['byMailbox']> {
    if (this.routeCache === null) {
      const routes: Routes = { byMailbox: new Map(), records: new Set() };
      const add = (mailbox: Uint8Array, kind: 'contact' | 'invitation', id: string) => {
        routes.byMailbox.set(mailboxKey(mailbox), { kind, id });
        routes.records.add(`${kind}/${id}`);
      };
      for (const c of await this.listRecords<ContactRecord>('contact')) add(c.myMailbox.id, 'contact', c.id);
      for (const i of await this.listRecords<InvitationRecord>('invitation')) add(i.mailbox.id, 'invitation', i.id);
      this.routeCache = routes;
    }
    return this.routeCache.byMailbox;
  }

  /** Commits a batch; a contact or invitation created or deleted invalidates the mailbox routes. */
  private async commit(writes: readonly RecordWrite[]): Promise<void> {
    await this.store.commit(writes);
    const known = this.routeCache;
    if (known === null) return;
    for (const w of writes) {
      if (
        (w.kind === 'contact' || w.kind === 'invitation') &&
        (w.value === null || !known.records.has(`${w.kind}/${w.id}`))
      ) {
        this.routeCache = null;
        return;
      }
    }
  }

  private async processOnInvitation(
    inv: InvitationRecord,
    seq: number,
    envelope: Uint8Array,
  ): Promise<OwnMailbox | null> {
    const env = this.env;
    const p = this.profileRecord;
    const skip = async () => {
      await this.commit([put('invitation', inv.id, { ...inv, mailbox: { ...inv.mailbox, lastSeq: seq } })]);
      return inv.mailbox;
    };
    if (seq <= inv.mailbox.lastSeq) return inv.mailbox;
    const initial = tryInitialMessage(envelope);
    if (initial === null) return skip();
    let accepted: ReturnType<typeof acceptNewSession>;
    try {
      accepted = acceptNewSession(env, p, initial, await this.responderKeys(initial));
    } catch (e) {
      if (ClientError.is(e, 'bad-message')) return skip();
      throw e;
    }
    const hello = helloOf(p, accepted);
    if (hello === null) return skip();
    const myMailbox = await this.newMailbox();
    const id = this.newId();
    const slot = { id, name: await this.uniqueName(hello.name || 'contact'), myMailbox };
    const base = contactFromHello(env, slot, accepted, hello);
    const { contact, envelope: welcome } = seal(env, base, {
      t: 'welcome',
      name: p.displayName,
      mailbox: peerMailboxOf(p.server, myMailbox),
    });
    await this.commit([
      put('contact', contact.id, contact),
      del('invitation', inv.id),
      ...accepted.writes,
      outboxWrite(contact, welcome, null, this.newId()),
    ]);
    // The invitation is used: its mailbox goes, so a second use of the link is refused.
    await this.api(p.server)
      .deleteMailbox(ownedMailbox(inv.mailbox))
      .catch(() => undefined);
    this.push?.unsubscribe(inv.mailbox.id);
    this.push?.subscribe(ownedMailbox(myMailbox));
    this.emit([{ type: 'contact-connected', contact: contactView(contact) }]);
    return null; // the mailbox is deleted: nothing to acknowledge
  }

  private async processOnContact(c: ContactRecord, seq: number, envelope: Uint8Array): Promise<OwnMailbox> {
    if (seq <= c.myMailbox.lastSeq) return c.myMailbox;
    const env = this.env;
    const initial = tryInitialMessage(envelope);
    const keys = initial !== null && !continuesSession(c, initial) ? await this.responderKeys(initial) : null;
    const opened: Opened = openOnContact(env, this.profileRecord, c, envelope, keys);
    const bump = (x: ContactRecord): ContactRecord => ({ ...x, myMailbox: { ...x.myMailbox, lastSeq: seq } });
    if (opened.kind === 'duplicate') {
      await this.commit([put('contact', c.id, bump(c))]);
      return c.myMailbox;
    }
    if (opened.kind === 'undecryptable') {
      // A gap the user should know of. Start over unless we already did and await an answer.
      const pending = decodeSession(c.session).pending !== null;
      await this.commit([put('contact', c.id, bump(c))]);
      this.emit([{ type: 'undecryptable', contactId: c.id }]);
      if (!pending && c.state === 'connected') {
        await this.restartSession(bump(c)).catch(() => undefined);
      }
      return c.myMailbox;
    }
    const events: ClientEvent[] = [];
    const writes: RecordWrite[] = opened.kind === 'new-session' ? [...opened.writes] : [];
    let next = bump(opened.contact);
    if (opened.kind === 'new-session' && opened.identityChanged) {
      events.push({ type: 'identity-changed', contact: contactView(next) });
    }
    const messages = new Map<string, MessageRecord>();
    for (const id of receiptIds(opened.payload)) {
      const m = await this.getRecord<MessageRecord>(messageKind(c.id), id);
      if (m) messages.set(id, m);
    }
    const outcome = applyPayload(this.env, next, opened.payload, this.newId, messages);
    next = outcome.contact;
    writes.push(...outcome.writes);
    events.push(...outcome.events);
    await this.commit([put('contact', next.id, next), ...writes]);
    this.emit(events);
    return c.myMailbox;
  }

  // ─── contact requests (address owner) ────────────────────────────────────────────────────

  /** Fetches new requests left at our address, opens them and keeps the authentic ones. */
  private async checkRequests(): Promise<void> {
    await this.serial(async () => {
      const a = await this.getRecord<AddressRecord>('address', 'self');
      if (!a) return;
      const owned = { id: a.id, ownerPrivateKey: a.owner.privateKey };
      const api = this.api(this.profileRecord.server);
      const batch = await api.listRequests(owned, a.lastSeq, 100).catch((e: unknown) => {
        if (ClientError.is(e, 'server-error') && e.status === 401) return [];
        throw e;
      });
      if (batch.length === 0) return;
      const writes: RecordWrite[] = [];
      const events: ClientEvent[] = [];
      for (const item of batch) {
        const r = await this.openRequest(a, item.request, item.receivedAt).catch((e: unknown) => {
          if (ClientError.is(e, 'bad-message')) return null;
          throw e;
        });
        if (r === null) continue;
        writes.push(...r.writes, put('request', r.record.id, r.record));
        events.push({ type: 'contact-request', request: requestView(r.record) });
      }
      const lastSeq = (batch[batch.length - 1] as { seq: number }).seq;
      await this.commit([...writes, put('address', 'self', { ...a, lastSeq })]);
      await api
        .deleteRequests(
          owned,
          batch.map((b) => b.seq),
        )
        .catch(() => undefined);
      this.emit(events);
    });
  }

  private async openRequest(a: AddressRecord, bytes: Uint8Array, receivedAt: number): Promise<OpenedRequest> {
    const initial = tryInitialMessage(bytes);
    if (initial === null) throw new ClientError('bad-message', 'A contact request could not be read.');
    const keys = await this.responderKeys(initial);
    return openRequest(this.env, this.profileRecord, a.id, initial, keys, receivedAt, this.newId);
  }

  // ─── outbox ──────────────────────────────────────────────────────────────────────────────

  /**
   * Delivers queued envelopes, in order per mailbox. A server that cannot take one (unreachable,
   * rate-limited, failing) holds back the rest of what goes to it, not what goes to other servers:
   * a contact's server being down must not stop us talking to everyone else. Throws the first
   * such failure once everything else has been tried.
   */
  async flushOutbox(): Promise<void> {
    await this.serial(() => this.flushOutboxLocked());
  }

  private async flushOutboxLocked(): Promise<void> {
    const held = new Map<string, unknown>(); // server → why its deliveries wait
    for (const row of await this.store.list('outbox')) {
      const o = decodeRecord<OutboxRecord>(row.value);
      if (held.has(o.mailbox.server)) continue;
      let status: MessageRecord['status'] = 'sent';
      try {
        await this.api(o.mailbox.server).deliver(o.mailbox.id, o.mailbox.senderPrivateKey, o.envelope);
      } catch (e) {
        if (refusedForGood(e)) status = 'failed';
        else {
          held.set(o.mailbox.server, e);
          continue;
        }
      }
      const writes: RecordWrite[] = [del('outbox', row.id)];
      if (o.message !== null) {
        const m = await this.getRecord<MessageRecord>(messageKind(o.message.contactId), o.message.id);
        if (m && m.status === 'queued') writes.push(put(messageKind(m.contactId), m.id, { ...m, status }));
      }
      await this.commit(writes);
    }
    for (const e of held.values()) throw e;
  }

  // ─── prekeys ─────────────────────────────────────────────────────────────────────────────

  private async maintainPreKeys(force: boolean): Promise<void> {
    const p = this.profileRecord;
    if (!force && this.env.now() - p.lastMaintenance < PREKEY_POLICY.checkIntervalMs) return;
    await this.refillPreKeys(await this.api(p.server).preKeyCounts(this.auth()));
  }

  /** Generates what the policy asks for, commits the private halves, then uploads. */
  private async refillPreKeys(counts: { oneTime: number; kem: number } | null): Promise<void> {
    const plan = planPreKeys(this.env, this.profileRecord, counts);
    const p = plan.profile;
    await this.commit([
      put('profile', 'self', p),
      ...plan.oneTime.map((k) => put('otpk', keyId(k.id), k)),
      ...plan.kem.map((k) => put('kempk', keyId(k.id), k)),
    ]);
    this.profileRecord = p;
    const api = this.api(p.server);
    const auth = this.auth();
    if (plan.rotatedSigned) await api.putSignedPreKey(auth, signedPreKeyPublic(p.signedPreKey));
    if (plan.rotatedLastResort) await api.putLastResortKemPreKey(auth, kemPreKeyPublic(p.lastResortKem));
    if (plan.oneTime.length > 0) await api.addOneTimePreKeys(auth, plan.oneTime.map(oneTimePreKeyPublic));
    if (plan.kem.length > 0) await api.addKemPreKeys(auth, plan.kem.map(kemPreKeyPublic));
    if (!p.registered) {
      this.profileRecord = { ...p, registered: true };
      await this.commit([put('profile', 'self', this.profileRecord)]);
    }
  }

  /** Loads the private prekeys an initial message names (undefined: we do not have it). */
  private async responderKeys(m: InitialMessage): Promise<ResponderKeySet> {
    const p = this.profileRecord;
    const h = m.header;
    const signed = [p.signedPreKey, p.previousSignedPreKey].find((k) => k !== null && k.id === h.signedPreKeyId);
    const lastResort = [p.lastResortKem, p.previousLastResortKem].find((k) => k !== null && k.id === h.kemPreKeyId);
    const kem = lastResort ?? (await this.getRecord<KemPreKeyRecord>('kempk', keyId(h.kemPreKeyId)));
    const oneTime =
      h.oneTimePreKeyId === null
        ? null
        : await this.getRecord<NonNullable<ResponderKeySet['oneTime']>>('otpk', keyId(h.oneTimePreKeyId));
    const baseKeyUsed =
      kem?.lastResort === true &&
      (await this.store.get('lrused', lastResortKey(h.kemPreKeyId, h.baseKey))) !== undefined;
    return { signed: signed ?? undefined, oneTime, kem: kem ?? undefined, baseKeyUsed };
  }

  // ─── helpers ─────────────────────────────────────────────────────────────────────────────

  private api(url: string): ServerApiLike {
    return this.options.api(url);
  }

  private auth(): DeviceAuth {
    const p = this.profileRecord;
    return {
      account: accountIdOf(publicIdentity(p.identity)),
      device: deviceId(p.device),
      devicePrivateKey: p.deviceKeys.privateKey,
    };
  }

  /** Runs `f` after every operation queued before it (one state change at a time). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async newMailbox(): Promise<OwnMailbox> {
    const env = this.env;
    const recipient = generateEd25519(env);
    const sender = generateEd25519(env);
    const id = await this.api(this.profileRecord.server).createMailbox(
      this.auth(),
      recipient.publicKey,
      sender.publicKey,
    );
    return { id, recipient, sender, lastSeq: 0 };
  }

  /** A pending contact and the session we start with them (identity pinned by the link). */
  private async startContact(
    server: string,
    identity: PublicIdentity,
    device: number,
    keySource: ContactRecord['keySource'],
    alias: string | undefined,
  ): Promise<ContactRecord> {
    const env = this.env;
    let bundle: Awaited<ReturnType<ServerApiLike['fetchBundle']>>;
    bundle = await this.api(server)
      .fetchBundle(accountIdOf(identity), deviceId(device))
      .catch((e: unknown) => {
        if (ClientError.is(e, 'server-error') && e.status === 404) {
          throw new ClientError('bad-link', 'The account this link names does not exist on its server (any more).');
        }
        throw e;
      });
    try {
      verifyBundle(env, bundle, identity);
    } catch (e) {
      if (e instanceof ProtocolError) {
        throw new ClientError(
          'bad-link',
          "The server's keys for this link do not match the link: the server may be trying to intercept. Do not proceed; tell your contact.",
        );
      }
      throw e;
    }
    const session: Session = createInitiatorSession(
      env,
      this.profileRecord.identity,
      deviceId(this.profileRecord.device),
      bundle,
      identity,
    );
    const myMailbox = await this.newMailbox();
    const id = this.newId();
    const slot = { id, name: await this.uniqueName(alias ?? 'contact'), myMailbox };
    return pendingContact(env, slot, { keySource, identity, device, aliasSet: alias !== undefined }, session);
  }

  private refuseOwn(identity: PublicIdentity): void {
    if (sameIdentity(identity, publicIdentity(this.profileRecord.identity))) {
      throw new ClientError('own-link', 'This link is your own: send it to the person you want to talk to.');
    }
  }

  private async findContact(nameOrId: string): Promise<ContactRecord> {
    const all = await this.listRecords<ContactRecord>('contact');
    const key = nameOrId.toLowerCase();
    const found = all.find((c) => c.id === nameOrId) ?? all.find((c) => c.name.toLowerCase() === key);
    if (!found)
      throw new ClientError('unknown-contact', 'There is no contact by that name: run `contacts` to list them.');
    return found;
  }

  private async loadContact(id: string): Promise<ContactRecord> {
    const c = await this.getRecord<ContactRecord>('contact', id);
    if (!c) throw new ClientError('unknown-contact', 'There is no contact by that name: run `contacts` to list them.');
    return c;
  }

  /** `name`, or `name-2`, `name-3`… so that aliases stay unique (they are how users name contacts). */
  private async uniqueName(name: string, self?: string): Promise<string> {
    const taken = new Set(
      (await this.listRecords<ContactRecord>('contact')).filter((c) => c.id !== self).map((c) => c.name.toLowerCase()),
    );
    const base = name.trim() || 'contact';
    let candidate = base;
    for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${base}-${i}`;
    return candidate;
  }

  private async ownMailboxes(): Promise<OwnMailbox[]> {
    return [
      ...(await this.listRecords<ContactRecord>('contact')).map((c) => c.myMailbox),
      ...(await this.listRecords<InvitationRecord>('invitation')).map((i) => i.mailbox),
    ];
  }

  private async getRecord<T>(kind: string, id: string): Promise<T | undefined> {
    const bytes = await this.store.get(kind, id);
    return bytes === undefined ? undefined : decodeRecord<T>(bytes);
  }

  private async listRecords<T>(kind: string): Promise<T[]> {
    return (await this.store.list(kind)).map((r) => decodeRecord<T>(r.value));
  }
}

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

function checkName(name: string): void {
  if (name.length > MAX_NAME) throw new ClientError('usage', `Names are at most ${MAX_NAME} characters.`);
}

function ownedMailbox(m: OwnMailbox): OwnedMailbox {
  return { id: m.id, recipientPrivateKey: m.recipient.privateKey };
}

function identityFrom(bytes: Uint8Array): PublicIdentity {
  const r = new Reader(bytes, 'identity');
  const id = readIdentity(r);
  r.end();
  return id;
}

function ignoreGone(e: unknown): void {
  if (ClientError.is(e, 'server-error') && (e.status === 404 || e.status === 401)) return;
  throw e;
}

/**
 * A delivery that failed but stays queued (and is retried): the server could not be reached, was
 * rate-limiting, or failed on its side. The message is already committed, so the caller goes on.
 */
function ignoreDeliveryFailure(e: unknown): void {
  if (ClientError.is(e, 'server-unreachable') || ClientError.is(e, 'rate-limited')) return;
  if (ClientError.is(e, 'server-error') && !refusedForGood(e)) return;
  throw e;
}

/**
 * A server's answer that no retry can change: the mailbox is gone (404), the sender key is no
 * longer accepted (403), or the server refuses the envelope itself (400, 413). 408 and 429 are
 * worth retrying, and so is every 5xx.
 */
function refusedForGood(e: unknown): boolean {
  if (!ClientError.is(e, 'server-error') || e.status === undefined) return false;
  return e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
}
