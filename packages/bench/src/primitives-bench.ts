/**
 * `npm run bench:primitives`: the cost of each primitive behind Parley's protocol, per backend,
 * so the protocol figures can be explained (docs/benchmarks.md "Where the time goes").
 * Prints one line per primitive and backend, then one JSON line of microseconds per operation.
 *
 * Options: --iterations N (default 2000; the noble backend runs a tenth of that)
 */
import { type CryptoBackend, utf8 } from '@parley/protocol';
import { nobleBackend } from '@parley/protocol/crypto/noble';
import { nodeBackend } from '@parley/protocol/crypto/node';
import { isMain, parseCounts } from './measure.ts';

type Op = [name: string, run: () => void];

function ops(c: CryptoBackend): Op[] {
  const x = c.randomBytes(32);
  const xPub = c.x25519PublicKey(c.randomBytes(32));
  const ed = c.randomBytes(32);
  const edPub = c.ed25519PublicKey(ed);
  const msg = c.randomBytes(64);
  const sig = c.ed25519Sign(ed, msg);
  const key = c.randomBytes(32);
  const nonce = c.randomBytes(12);
  const pt = c.randomBytes(128);
  const sealed = c.aesGcmSeal(key, nonce, pt, msg);
  const kem = c.mlKemKeygen(c.randomBytes(64));
  const enc = c.mlKemEncapsulate(kem.publicKey, c.randomBytes(32));
  const info = utf8('bench');
  return [
    ['x25519 keygen (import + public key)', () => c.x25519PublicKey(c.randomBytes(32))],
    ['x25519 DH (cached keys)', () => c.x25519(x, xPub)],
    ['ed25519 sign (64 B)', () => c.ed25519Sign(ed, msg)],
    ['ed25519 verify (64 B)', () => c.ed25519Verify(edPub, msg, sig)],
    ['aes-256-gcm seal (128 B)', () => c.aesGcmSeal(key, nonce, pt, msg)],
    ['aes-256-gcm open (128 B)', () => c.aesGcmOpen(key, nonce, sealed, msg)],
    ['aes-256-gcm open, bad tag', () => c.aesGcmOpen(x, nonce, sealed, msg)],
    ['hmac-sha512 (1 B)', () => c.hmacSha512(key, info)],
    ['hkdf-sha256 (96 B out)', () => c.hkdfSha256(key, x, info, 96)],
    // As sessions run it (keys.ts generateKem): the backend draws the seed.
    ['ml-kem-768 keygen', () => c.mlKemKeygen()],
    ['ml-kem-768 keygen from a given seed (seeded)', () => c.mlKemKeygen(c.randomBytes(64))],
    // As sessions run it (keys.ts encapsulateKem): the backend draws m.
    ['ml-kem-768 encapsulate', () => c.mlKemEncapsulate(kem.publicKey)],
    ['ml-kem-768 encapsulate, given m (seeded)', () => c.mlKemEncapsulate(kem.publicKey, c.randomBytes(32))],
    ['ml-kem-768 decapsulate', () => c.mlKemDecapsulate(enc.ciphertext, kem.secretKey)],
    // A key just decoded (a fetched bundle, a stored prekey) is a new array: parsed first.
    ['ml-kem-768 new public key + encapsulate', () => c.mlKemEncapsulate(new Uint8Array(kem.publicKey))],
    [
      'ml-kem-768 new secret key + decapsulate',
      () => c.mlKemDecapsulate(enc.ciphertext, new Uint8Array(kem.secretKey)),
    ],
  ];
}

function microseconds(run: () => void, n: number): number {
  for (let i = 0; i < Math.max(50, n / 10); i++) run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run();
  return Math.round(Number(process.hrtime.bigint() - start) / n / 10) / 100;
}

export function benchPrimitives(iterations: number): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const backend of [nodeBackend, nobleBackend]) {
    const n = backend.name === 'noble' ? Math.max(10, Math.floor(iterations / 10)) : iterations;
    const figures: Record<string, number> = {};
    for (const [name, run] of ops(backend)) {
      figures[name] = microseconds(run, n);
      console.error(`${backend.name.padEnd(6)} ${name.padEnd(38)} ${figures[name].toFixed(2).padStart(9)} µs`);
    }
    out[backend.name] = figures;
  }
  return out;
}

if (isMain(import.meta.url)) {
  try {
    const { iterations } = parseCounts<'iterations'>(process.argv.slice(2), { iterations: 2000 });
    console.log(JSON.stringify(benchPrimitives(iterations)));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
