/** Both of our providers, for tests that must pass on each. */
import { readFileSync } from 'node:fs';
import type { CiphersuiteImpl } from 'ts-mls';
import { makeCiphersuiteImpl } from '../src/crypto/ciphersuite.ts';
import { nobleMlsPrimitives } from '../src/crypto/noble.ts';
import { nodeMlsPrimitives } from '../src/crypto/node.ts';
import type { MlsPrimitives } from '../src/crypto/primitives.ts';

export const primitives: readonly [string, MlsPrimitives][] = [
  ['node', nodeMlsPrimitives],
  ['noble', nobleMlsPrimitives],
];

export const providers: readonly [string, CiphersuiteImpl][] = primitives.map(([n, p]) => [n, makeCiphersuiteImpl(p)]);

export { bytesToHex as hex, hexToBytes as bytes } from '@noble/hashes/utils.js';

/** A vector file of test/vectors (README.md there says where they come from). */
export function vectors<T>(name: string): T[] {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}.json`, import.meta.url), 'utf8')) as T[];
}
