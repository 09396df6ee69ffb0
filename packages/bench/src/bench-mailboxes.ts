/**
 * The mailboxes a server benchmark sends through: one account registered over HTTP, then `n`
 * mailboxes created with it (50 requests in flight), each with its sender and recipient keys.
 */
import {
  AuthPurpose,
  certifyDevice,
  deviceId,
  encodeDeviceCertificate,
  encodeIdentity,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
  httpOperation,
  proveDevice,
  publicIdentity,
  REGISTRATION_OPERATION,
  utf8,
} from '@parley/protocol';

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

export interface BenchMailbox {
  readonly id: Uint8Array;
  /** The sender key's private half. */
  readonly sender: Uint8Array;
  /** The recipient key's private half. */
  readonly recipient: Uint8Array;
}

async function post(url: string, body: unknown, authorization?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Registers one account and creates `n` mailboxes with it (50 requests in flight). */
export async function createMailboxes(base: string, n: number): Promise<BenchMailbox[]> {
  const identity = generateIdentity(env);
  const device = generateEd25519(env);
  const cert = certifyDevice(env, identity, deviceId(1), device.publicKey);
  const challenge = async () => unb64(String((await post(`${base}/v1/challenges`, {})).challenge));
  const c0 = await challenge();
  await post(`${base}/v1/accounts`, {
    identity: b64(encodeIdentity(publicIdentity(identity))),
    deviceCertificate: b64(encodeDeviceCertificate(cert)),
    challenge: b64(c0),
    proof: b64(
      proveDevice(
        env,
        device.privateKey,
        AuthPurpose.register,
        c0,
        identity.signing.publicKey,
        deviceId(1),
        REGISTRATION_OPERATION,
      ),
    ),
  });
  const account = b64(identity.signing.publicKey);
  const boxes: { id: Uint8Array; sender: Uint8Array; recipient: Uint8Array }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const sender = generateEd25519(env);
      const recipient = generateEd25519(env);
      const c = await challenge();
      const body = { recipientKey: b64(recipient.publicKey), senderKey: b64(sender.publicKey) };
      // Bound to this request (protocol §3.5.1): post() sends JSON.stringify(body), these bytes.
      const op = httpOperation(env, 'POST', '/v1/mailboxes', utf8(JSON.stringify(body)));
      const proof = proveDevice(
        env,
        device.privateKey,
        AuthPurpose.connect,
        c,
        identity.signing.publicKey,
        deviceId(1),
        op,
      );
      const auth = `Parley account=${account}, device=1, challenge=${b64(c)}, proof=${b64(proof)}`;
      const r = await post(`${base}/v1/mailboxes`, body, auth);
      boxes.push({ id: unb64(String(r.mailboxId)), sender: sender.privateKey, recipient: recipient.privateKey });
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return boxes;
}
