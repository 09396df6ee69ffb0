import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultEnv as env,
  generateEd25519,
  proveAddressOwnership,
  proveMailboxAccess,
  proveSendingRight,
  signDelivery,
  socketOperation,
} from '@parley/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import {
  inlineVerifier,
  type SignatureKind,
  type SignatureVerifier,
  ThreadVerifier,
} from '../src/verifier/delivery-verifier.ts';

const mailbox = new Uint8Array(16).fill(7);
const sender = generateEd25519(env);
const other = generateEd25519(env);

function delivery(i: number) {
  const envelope = new Uint8Array(100).fill(i % 256);
  return { envelope, signature: signDelivery(env, sender.privateKey, mailbox, envelope) };
}

describe.each([
  ['on a worker thread', () => new ThreadVerifier()],
  ['inline', () => inlineVerifier(env)],
])('the signature verifier %s', (_, make: () => SignatureVerifier) => {
  const verifier = make();
  afterAll(() => verifier.close());

  it('accepts exactly the valid signatures, each with its own answer, in one batch', async () => {
    const checks = Array.from({ length: 50 }, (_, i) => {
      const { envelope, signature } = delivery(i);
      if (i % 5 === 1) signature[0] = (signature[0] ?? 0) ^ 1; // a damaged signature
      if (i % 5 === 2) envelope[0] = (envelope[0] ?? 0) ^ 1; // a changed envelope
      const key = i % 5 === 3 ? other.publicKey : sender.publicKey; // another mailbox's key
      return verifier.check('delivery', key, mailbox, envelope, signature);
    });
    const results = await Promise.all(checks);
    results.forEach((ok, i) => {
      expect(ok).toBe(i % 5 === 0 || i % 5 === 4);
    });
  });

  it('checks each kind of proof as that kind only and for its operation only, in one batch with deliveries', async () => {
    const challenge = new Uint8Array(32).fill(9);
    const op = socketOperation('subscribe');
    const proofs: [SignatureKind, Uint8Array][] = [
      ['mailbox-access', proveMailboxAccess(env, sender.privateKey, mailbox, challenge, op)],
      ['sending-right', proveSendingRight(env, sender.privateKey, mailbox, challenge, op)],
      ['address-ownership', proveAddressOwnership(env, sender.privateKey, mailbox, challenge, op)],
    ];
    const kinds = proofs.map(([kind]) => kind);
    const { envelope, signature } = delivery(7);
    const checks = [
      verifier.check('delivery', sender.publicKey, mailbox, envelope, signature),
      // Every proof under every kind: only its own verifies (each signs a label of its own).
      ...proofs.flatMap(([, proof]) =>
        kinds.map((kind) => verifier.check(kind, sender.publicKey, mailbox, challenge, proof, op)),
      ),
      // A proof checked for another operation does not verify (protocol §3.5.1).
      verifier.check('mailbox-access', sender.publicKey, mailbox, challenge, proofs[0]?.[1] as Uint8Array),
      verifier.check(
        'mailbox-access',
        sender.publicKey,
        mailbox,
        challenge,
        proofs[0]?.[1] as Uint8Array,
        socketOperation('authorize'),
      ),
      // A delivery signature is no proof, nor a proof a delivery signature.
      verifier.check('mailbox-access', sender.publicKey, mailbox, challenge, signature, op),
      verifier.check('delivery', sender.publicKey, mailbox, challenge, proofs[0]?.[1] as Uint8Array),
      // A delivery binds no operation: one given is refused.
      verifier.check('delivery', sender.publicKey, mailbox, envelope, signature, op),
    ];
    expect(await Promise.all(checks)).toEqual([
      true,
      true,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('refuses malformed keys and signatures without failing', async () => {
    const { envelope, signature } = delivery(1);
    expect(await verifier.check('delivery', new Uint8Array(31), mailbox, envelope, signature)).toBe(false);
    expect(await verifier.check('delivery', new Uint8Array(32), mailbox, envelope, signature)).toBe(false);
    expect(await verifier.check('delivery', sender.publicKey, mailbox, envelope, signature.subarray(1))).toBe(false);
    expect(await verifier.check('delivery', sender.publicKey, new Uint8Array(15), envelope, signature)).toBe(false);
    expect(await verifier.check('delivery', sender.publicKey, mailbox, envelope, signature)).toBe(true);
  });
});

describe('the worker-thread verifier', () => {
  it('starts a new worker after close or a crash', async () => {
    const verifier = new ThreadVerifier();
    const { envelope, signature } = delivery(3);
    expect(await verifier.check('delivery', sender.publicKey, mailbox, envelope, signature)).toBe(true);
    await verifier.close();
    expect(await verifier.check('delivery', sender.publicKey, mailbox, envelope, signature)).toBe(true);
    await verifier.close();
  });
});

describe('a process whose only work is a check', () => {
  it('stays alive until the answer comes, then exits by itself (the idle worker does not hold it)', () => {
    const verifier = new URL('../src/verifier/delivery-verifier.ts', import.meta.url).href;
    // The script lives outside the workspace, so it names both modules by file URL.
    const protocol = new URL('../../protocol/src/index.ts', import.meta.url).href;
    const script = `
      import { defaultEnv as env, generateEd25519, signDelivery } from '${protocol}';
      import { ThreadVerifier } from '${verifier}';
      const key = generateEd25519(env);
      const mailbox = new Uint8Array(16);
      const envelope = new Uint8Array([1, 2, 3]);
      const ok = await new ThreadVerifier().check('delivery', key.publicKey, mailbox, envelope, signDelivery(env, key.privateKey, mailbox, envelope));
      console.log(ok);`;
    const dir = mkdtempSync(join(tmpdir(), 'parley-verifier-'));
    try {
      const file = join(dir, 'check.mts');
      writeFileSync(file, script);
      const out = execFileSync(process.execPath, ['--import', 'tsx', file], {
        cwd: new URL('..', import.meta.url).pathname,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(out.trim()).toBe('true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
