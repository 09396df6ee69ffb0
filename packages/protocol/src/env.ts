/**
 * What the pure core needs from the outside world, passed in explicitly: a crypto backend,
 * a source of randomness and a clock. Defaults use the platform backend, its CSPRNG and
 * `Date.now`; tests inject a seeded generator and a fixed clock to get reproducible bytes.
 */
import type { CryptoBackend } from './crypto/backend.ts';
import { defaultBackend } from './crypto/default.ts';

export interface ProtocolEnv {
  readonly crypto: CryptoBackend;
  /**
   * Returns `length` fresh random bytes. Must be a CSPRNG outside of tests. When it is the
   * backend's own `randomBytes` (as `envFor` sets it), the backend may draw some randomness
   * itself, natively (ML-KEM encapsulation, keys.ts `encapsulateKem`).
   */
  readonly random: (length: number) => Uint8Array;
  /**
   * Random bytes for public values (nonces), which a backend may pool; `random` when absent
   * (as in tests, so one seeded stream yields every byte).
   */
  readonly publicRandom?: (length: number) => Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly now: () => number;
}

/**
 * The environment for a given backend, with that backend's CSPRNG and the system clock.
 *
 * @example
 * ```ts
 * import { nobleBackend } from '@parley/protocol/crypto/noble';
 * const env = envFor(nobleBackend); // force the pure-JavaScript backend
 * ```
 */
export function envFor(crypto: CryptoBackend): ProtocolEnv {
  return {
    crypto,
    random: crypto.randomBytes,
    publicRandom: (n) => crypto.publicRandomBytes(n),
    now: () => Date.now(),
  };
}

export const defaultEnv: ProtocolEnv = envFor(defaultBackend);
