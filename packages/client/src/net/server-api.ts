/**
 * `ServerApi`: the home server's HTTP API v1 (docs/server.md) as typed calls, implementing
 * `ServerApiLike` (server-api-types.ts). Every authenticated call fetches its own single-use
 * challenge and answers it with a signature — the device key for account calls (protocol §3.5),
 * a mailbox's recipient key or an address's owner key for those objects (§3.6, §3.7) — over the
 * challenge and this one request: its method, target and the SHA-256 of the body bytes it sends
 * (§3.5.1), so no bearer secret is ever sent or kept, and a proof seen in transit serves no other
 * request. Every answer is validated before it is returned; every failure is a `ClientError`.
 *
 * @example
 * ```ts
 * const api = new ServerApi('https://parley.example');
 * const { accountId } = await api.register(identity, deviceId(1), deviceKeys);
 * const auth = { account: accountId, device: deviceId(1), devicePrivateKey: deviceKeys.privateKey };
 * await api.putSignedPreKey(auth, signedPreKeyPublic(spk));
 * ```
 */
import {
  type AccountId,
  AuthPurpose,
  certifyDevice,
  type DeviceCertificate,
  type DeviceId,
  decodeBundle,
  defaultEnv,
  deviceId,
  type Ed25519KeyPair,
  encodeDeviceCertificate,
  encodeIdentity,
  encodeWireBytes,
  type IdentityKeyPair,
  type KemPreKeyPublic,
  MAX_KEM_PREKEY_UPLOAD,
  MAX_ONE_TIME_PREKEY_UPLOAD,
  MAX_PREKEY_GRANTS_PER_REQUEST,
  MAX_SEQS_PER_REQUEST,
  MAX_TOKEN_HASHES_PER_REQUEST,
  type OneTimePreKeyPublic,
  type Operation,
  type PreKeyBundle,
  type ProtocolEnv,
  parseAccountId,
  proveAddressOwnership,
  proveDevice,
  proveMailboxAccess,
  publicIdentity,
  REGISTRATION_OPERATION,
  type SignedPreKeyPublic,
  signDelivery,
} from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../codec/base64url.ts';
import { ClientError } from '../errors.ts';
import { type HttpRequest, HttpTransport, parseAnswer } from './http.ts';
import { challengeProof, deviceAuthorization, fetchChallenge, operationOf } from './request-proof.ts';
import type {
  AccountDevice,
  DeviceAuth,
  OwnedAddress,
  OwnedMailbox,
  PreKeyCountsAnswer,
  PutDeviceListAnswer,
  ServerApiLike,
  StoredEnvelope,
  StoredRequest,
} from './server-api-types.ts';
import { deviceConflict, malformedAnswer, registrationRefused, signing } from './server-errors.ts';
import { normalizeServerUrl, originOf } from './server-url.ts';

export const DEFAULT_TIMEOUT_MS = 15_000;

export interface ServerApiOptions {
  /** Crypto, randomness and clock for the proofs (default: `defaultEnv`). */
  readonly env?: ProtocolEnv;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
  /** How long one request may take, answer included (default 15 s). */
  readonly timeoutMs?: number;
}

const seq = z.number().int().min(1);
const count = z.number().int().min(0);
const timestamp = z.number().int().min(0);
const deviceNumber = z.number().int().min(1).max(0xffffffff);
const Registered = z.object({ accountId: z.string(), deviceId: deviceNumber });
const DeviceAdded = z.object({ deviceId: deviceNumber });
const Devices = z.object({
  devices: z.array(z.object({ deviceId: deviceNumber, createdAt: timestamp, lastSeenAt: timestamp })).max(1000),
});
const DeviceListAnswer = z.object({ deviceList: b64url() });
/** A 409's body: the wire error, and what the device routes add to it. */
const Conflict = z.object({ reason: z.string().max(64).optional(), deviceList: b64url().optional() });
/** The largest device list (protocol §14.1: 32 devices) and then some: a bound on what we keep. */
const MAX_DEVICE_LIST_BYTES = 8192;
const Counts = z.object({ oneTime: count, kem: count, lastResortServed: count.optional() });
const Bundle = z.object({ bundle: b64url() });
const MailboxCreated = z.object({ mailboxId: b64url(16) });
const AddressCreated = z.object({ addressId: b64url(16) });
const Seq = z.object({ seq });
const Deleted = z.object({ deleted: count });
const Removed = z.object({ removed: count });
const Messages = z.object({
  messages: z.array(z.object({ seq, envelope: b64url(), receivedAt: timestamp })),
});
const Requests = z.object({
  requests: z.array(z.object({ seq, request: b64url(), receivedAt: timestamp })),
});

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `?after=&limit=` for list calls; omitted values are left to the server's defaults. */
function pageQuery(after?: number, limit?: number): string {
  const q = new URLSearchParams();
  if (after !== undefined) q.set('after', String(after));
  if (limit !== undefined) q.set('limit', String(limit));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

const kemKeyBody = (k: KemPreKeyPublic) => ({
  id: k.id,
  publicKey: encodeWireBytes(k.publicKey),
  createdAt: k.createdAt,
  signature: encodeWireBytes(k.signature),
});

export class ServerApi implements ServerApiLike {
  /** The server's base URL as given (normalised: no trailing slash). */
  readonly url: string;
  private readonly env: ProtocolEnv;
  private readonly http: HttpTransport;

  constructor(url: string, options: ServerApiOptions = {}) {
    this.url = normalizeServerUrl(url);
    this.env = options.env ?? defaultEnv;
    const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.http = new HttpTransport(this.url, originOf(this.url), fetchImpl, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  /** A fresh single-use challenge (valid for 5 minutes). */
  async challenge(): Promise<Uint8Array> {
    return fetchChallenge(this.http);
  }

  async register(
    identity: IdentityKeyPair,
    device: DeviceId,
    deviceKeys: Ed25519KeyPair,
    registrationKey?: string,
  ): Promise<{ readonly accountId: AccountId; readonly deviceId: DeviceId }> {
    const cert = signing(() => certifyDevice(this.env, identity, device, deviceKeys.publicKey));
    const challenge = await this.challenge();
    const proof = signing(() =>
      proveDevice(
        this.env,
        deviceKeys.privateKey,
        AuthPurpose.register,
        challenge,
        identity.signing.publicKey,
        device,
        REGISTRATION_OPERATION,
      ),
    );
    const answer = await this.http.request({
      method: 'POST',
      path: '/v1/accounts',
      body: {
        identity: encodeWireBytes(encodeIdentity(publicIdentity(identity))),
        deviceCertificate: encodeWireBytes(encodeDeviceCertificate(cert)),
        challenge: encodeWireBytes(challenge),
        proof: encodeWireBytes(proof),
        ...(registrationKey === undefined ? {} : { registrationKey }),
      },
      ok: [201],
      forbidden: registrationRefused,
    });
    const body = parseAnswer(Registered, answer);
    let accountId: AccountId;
    try {
      accountId = parseAccountId(body.accountId);
    } catch {
      throw malformedAnswer(answer.status);
    }
    return { accountId, deviceId: deviceId(body.deviceId) };
  }

  async deleteAccount(auth: DeviceAuth): Promise<void> {
    await this.asDevice(auth, { method: 'DELETE', path: '/v1/accounts/self', ok: [204] });
  }

  async addDevice(auth: DeviceAuth, certificate: DeviceCertificate): Promise<DeviceId> {
    const body = { deviceCertificate: encodeWireBytes(signing(() => encodeDeviceCertificate(certificate))) };
    const answer = await this.asDevice(auth, {
      method: 'POST',
      path: '/v1/accounts/self/devices',
      body,
      ok: [201, 409],
    });
    if (answer.status === 409) throw deviceConflict(conflictOf(answer.json).reason);
    const added = deviceId(parseAnswer(DeviceAdded, answer).deviceId);
    if (added !== certificate.deviceId) throw malformedAnswer(answer.status);
    return added;
  }

  async listDevices(auth: DeviceAuth): Promise<AccountDevice[]> {
    const answer = await this.asDevice(auth, { method: 'GET', path: '/v1/accounts/self/devices', ok: [200] });
    return parseAnswer(Devices, answer).devices.map((d) => ({ ...d, deviceId: deviceId(d.deviceId) }));
  }

  async removeDevice(auth: DeviceAuth, device: DeviceId): Promise<void> {
    const path = `/v1/accounts/self/devices/${deviceId(device)}`;
    const answer = await this.asDevice(auth, { method: 'DELETE', path, ok: [204, 409] });
    if (answer.status === 409) throw deviceConflict(conflictOf(answer.json).reason);
  }

  async putDeviceList(auth: DeviceAuth, list: Uint8Array): Promise<PutDeviceListAnswer> {
    const body = { deviceList: encodeWireBytes(list) };
    const path = '/v1/accounts/self/device-list';
    const answer = await this.asDevice(auth, { method: 'PUT', path, body, ok: [204, 409] });
    if (answer.status === 204) return { outcome: 'stored' };
    const { reason, deviceList } = conflictOf(answer.json);
    if (reason !== 'stale') throw deviceConflict(reason);
    if (deviceList === undefined || deviceList.length > MAX_DEVICE_LIST_BYTES) throw malformedAnswer(answer.status);
    return { outcome: 'stale', current: deviceList };
  }

  async getDeviceList(account: AccountId): Promise<Uint8Array | null> {
    const path = `/v1/accounts/${encodeURIComponent(account)}/device-list`;
    const answer = await this.http.request({ method: 'GET', path, ok: [200, 404] });
    if (answer.status === 404) return null;
    const { deviceList } = parseAnswer(DeviceListAnswer, answer);
    if (deviceList.length > MAX_DEVICE_LIST_BYTES) throw malformedAnswer(answer.status);
    return deviceList;
  }

  async putSignedPreKey(auth: DeviceAuth, key: SignedPreKeyPublic): Promise<void> {
    const body = {
      id: key.id,
      publicKey: encodeWireBytes(key.publicKey),
      createdAt: key.createdAt,
      signature: encodeWireBytes(key.signature),
    };
    await this.asDevice(auth, { method: 'PUT', path: '/v1/devices/self/signed-prekey', body, ok: [204] });
  }

  async addOneTimePreKeys(auth: DeviceAuth, keys: readonly OneTimePreKeyPublic[]): Promise<void> {
    for (const chunk of chunks(keys, MAX_ONE_TIME_PREKEY_UPLOAD)) {
      const body = { keys: chunk.map((k) => ({ id: k.id, publicKey: encodeWireBytes(k.publicKey) })) };
      await this.asDevice(auth, { method: 'POST', path: '/v1/devices/self/one-time-prekeys', body, ok: [204] });
    }
  }

  async addKemPreKeys(auth: DeviceAuth, keys: readonly KemPreKeyPublic[]): Promise<void> {
    if (keys.some((k) => k.lastResort)) {
      throw new ClientError('usage', 'A last-resort KEM prekey is uploaded with putLastResortKemPreKey.');
    }
    for (const chunk of chunks(keys, MAX_KEM_PREKEY_UPLOAD)) {
      const body = { keys: chunk.map(kemKeyBody) };
      await this.asDevice(auth, { method: 'POST', path: '/v1/devices/self/kem-prekeys', body, ok: [204] });
    }
  }

  async putLastResortKemPreKey(auth: DeviceAuth, key: KemPreKeyPublic): Promise<void> {
    if (!key.lastResort) throw new ClientError('usage', 'Only a last-resort KEM prekey can be put as one.');
    const request = { method: 'PUT', path: '/v1/devices/self/last-resort-kem-prekey', body: kemKeyBody(key) } as const;
    await this.asDevice(auth, { ...request, ok: [204] });
  }

  async preKeyCounts(auth: DeviceAuth): Promise<PreKeyCountsAnswer> {
    const answer = await this.asDevice(auth, { method: 'GET', path: '/v1/devices/self/prekey-counts', ok: [200] });
    return parseAnswer(Counts, answer);
  }

  async addPreKeyGrants(auth: DeviceAuth, grantHashes: readonly Uint8Array[], expiresAt: number): Promise<void> {
    for (const chunk of chunks(grantHashes, MAX_PREKEY_GRANTS_PER_REQUEST)) {
      const body = { grantHashes: chunk.map(encodeWireBytes), expiresAt };
      await this.asDevice(auth, { method: 'POST', path: '/v1/devices/self/prekey-grants', body, ok: [204] });
    }
  }

  async fetchBundle(account: AccountId, device: DeviceId, options: { grant?: Uint8Array } = {}): Promise<PreKeyBundle> {
    const path = `/v1/accounts/${encodeURIComponent(account)}/devices/${device}/bundle`;
    const grant = options.grant === undefined ? {} : { prekeyGrant: encodeWireBytes(options.grant) };
    const answer = await this.http.request({ method: 'GET', path, ok: [200], ...grant });
    const { bundle } = parseAnswer(Bundle, answer);
    try {
      return decodeBundle(bundle);
    } catch {
      throw malformedAnswer(answer.status);
    }
  }

  async createMailbox(auth: DeviceAuth, recipientKey: Uint8Array, senderKey: Uint8Array): Promise<Uint8Array> {
    const body = { recipientKey: encodeWireBytes(recipientKey), senderKey: encodeWireBytes(senderKey) };
    const answer = await this.asDevice(auth, { method: 'POST', path: '/v1/mailboxes', body, ok: [201] });
    return parseAnswer(MailboxCreated, answer).mailboxId;
  }

  async deliver(
    mailboxId: Uint8Array,
    senderPrivateKey: Uint8Array,
    envelope: Uint8Array,
  ): Promise<{ readonly seq: number; readonly duplicate: boolean }> {
    const signature = signing(() => signDelivery(this.env, senderPrivateKey, mailboxId, envelope));
    const answer = await this.http.request({
      method: 'POST',
      path: `/v1/mailboxes/${encodeWireBytes(mailboxId)}/messages`,
      body: { envelope: encodeWireBytes(envelope), signature: encodeWireBytes(signature) },
      ok: [200, 201],
    });
    return { seq: parseAnswer(Seq, answer).seq, duplicate: answer.status === 200 };
  }

  async readMailbox(mailbox: OwnedMailbox, after?: number, limit?: number): Promise<StoredEnvelope[]> {
    const path = `/v1/mailboxes/${encodeWireBytes(mailbox.id)}/messages${pageQuery(after, limit)}`;
    const answer = await this.asMailbox(mailbox, { method: 'GET', path, ok: [200] });
    return parseAnswer(Messages, answer).messages;
  }

  async ackMailbox(mailbox: OwnedMailbox, seqs: readonly number[]): Promise<number> {
    let deleted = 0;
    for (const chunk of chunks(seqs, MAX_SEQS_PER_REQUEST)) {
      const path = `/v1/mailboxes/${encodeWireBytes(mailbox.id)}/ack`;
      const answer = await this.asMailbox(mailbox, { method: 'POST', path, body: { seqs: chunk }, ok: [200] });
      deleted += parseAnswer(Deleted, answer).deleted;
    }
    return deleted;
  }

  async deleteMailbox(mailbox: OwnedMailbox): Promise<void> {
    await this.asMailbox(mailbox, {
      method: 'DELETE',
      path: `/v1/mailboxes/${encodeWireBytes(mailbox.id)}`,
      ok: [204],
    });
  }

  async createAddress(auth: DeviceAuth, ownerKey: Uint8Array): Promise<Uint8Array> {
    const body = { ownerKey: encodeWireBytes(ownerKey) };
    const answer = await this.asDevice(auth, { method: 'POST', path: '/v1/addresses', body, ok: [201] });
    return parseAnswer(AddressCreated, answer).addressId;
  }

  async postRequest(addressId: Uint8Array, request: Uint8Array, token?: Uint8Array): Promise<{ readonly seq: number }> {
    const answer = await this.http.request({
      method: 'POST',
      path: `/v1/addresses/${encodeWireBytes(addressId)}/requests`,
      body: { request: encodeWireBytes(request), ...(token === undefined ? {} : { token: encodeWireBytes(token) }) },
      ok: [200, 201],
    });
    return { seq: parseAnswer(Seq, answer).seq };
  }

  async listRequests(address: OwnedAddress, after?: number, limit?: number): Promise<StoredRequest[]> {
    const path = `/v1/addresses/${encodeWireBytes(address.id)}/requests${pageQuery(after, limit)}`;
    const answer = await this.asOwner(address, { method: 'GET', path, ok: [200] });
    return parseAnswer(Requests, answer).requests;
  }

  async deleteRequests(address: OwnedAddress, seqs: readonly number[]): Promise<number> {
    let deleted = 0;
    for (const chunk of chunks(seqs, MAX_SEQS_PER_REQUEST)) {
      const path = `/v1/addresses/${encodeWireBytes(address.id)}/requests/delete`;
      const answer = await this.asOwner(address, { method: 'POST', path, body: { seqs: chunk }, ok: [200] });
      deleted += parseAnswer(Deleted, answer).deleted;
    }
    return deleted;
  }

  /**
   * Registers SHA-256 hashes of per-contact tokens: a request carrying such a token skips the
   * address's rate limit (docs/server.md "Contact addresses"). Not in `ServerApiLike` yet.
   */
  async addTokens(address: OwnedAddress, tokenHashes: readonly Uint8Array[]): Promise<void> {
    for (const chunk of chunks(tokenHashes, MAX_TOKEN_HASHES_PER_REQUEST)) {
      const path = `/v1/addresses/${encodeWireBytes(address.id)}/tokens`;
      await this.asOwner(address, {
        method: 'POST',
        path,
        body: { tokenHashes: chunk.map(encodeWireBytes) },
        ok: [204],
      });
    }
  }

  /** Withdraws per-contact token hashes; returns how many were registered. */
  async removeTokens(address: OwnedAddress, tokenHashes: readonly Uint8Array[]): Promise<number> {
    let removed = 0;
    for (const chunk of chunks(tokenHashes, MAX_TOKEN_HASHES_PER_REQUEST)) {
      const path = `/v1/addresses/${encodeWireBytes(address.id)}/tokens/remove`;
      const body = { tokenHashes: chunk.map(encodeWireBytes) };
      removed += parseAnswer(Removed, await this.asOwner(address, { method: 'POST', path, body, ok: [200] })).removed;
    }
    return removed;
  }

  async deleteAddress(address: OwnedAddress): Promise<void> {
    await this.asOwner(address, { method: 'DELETE', path: `/v1/addresses/${encodeWireBytes(address.id)}`, ok: [204] });
  }

  /** The operation `r` performs, as its proof binds it (protocol §3.5.1). */
  private operationOf(r: HttpRequest): Operation {
    return operationOf(this.env, r);
  }

  /** A request as a device: `Authorization: Parley account=…, device=…, challenge=…, proof=…`. */
  private async asDevice(auth: DeviceAuth, r: HttpRequest) {
    const challenge = await this.challenge();
    return this.http.request({ ...r, authorization: deviceAuthorization(this.env, auth, challenge, r) });
  }

  /** A request as a mailbox's owner: `Authorization: Parley-Mailbox challenge=…, proof=…`. */
  private async asMailbox(mailbox: OwnedMailbox, r: HttpRequest) {
    const challenge = await this.challenge();
    const op = this.operationOf(r);
    const proof = signing(() => proveMailboxAccess(this.env, mailbox.recipientPrivateKey, mailbox.id, challenge, op));
    return this.http.request({ ...r, authorization: `Parley-Mailbox ${challengeProof(challenge, proof)}` });
  }

  /** A request as an address's owner: `Authorization: Parley-Address challenge=…, proof=…`. */
  private async asOwner(address: OwnedAddress, r: HttpRequest) {
    const challenge = await this.challenge();
    const op = this.operationOf(r);
    const proof = signing(() => proveAddressOwnership(this.env, address.ownerPrivateKey, address.id, challenge, op));
    return this.http.request({ ...r, authorization: `Parley-Address ${challengeProof(challenge, proof)}` });
  }
}

/** What a 409 answer of a device route says beyond its code (unknown shapes say nothing). */
function conflictOf(json: unknown): z.output<typeof Conflict> {
  const parsed = Conflict.safeParse(json);
  return parsed.success ? parsed.data : {};
}
