import { describe, expect, it } from 'vitest';
import { decodeSession, decryptMessage, encodeSession, encryptMessage, toHex, utf8 } from '../src/index.ts';
import { backends, codeOf, establish, makeDevice, testEnv } from './kit.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(backends.map((b) => [b.name, b] as const))('session (%s backend)', (_name, crypto) => {
  it('exchanges messages both ways after PQXDH', () => {
    const envA = testEnv('a', crypto);
    const envB = testEnv('b', crypto);
    let { alice, bob } = establish(envA, envB, makeDevice(envA), makeDevice(envB, 7));
    for (let i = 0; i < 5; i++) {
      const m = encryptMessage(envA, alice, utf8(`a${i}`));
      alice = m.session;
      const d = decryptMessage(envB, bob, m.message);
      bob = d.session;
      expect(text(d.plaintext)).toBe(`a${i}`);
      const r = encryptMessage(envB, bob, utf8(`b${i}`));
      bob = r.session;
      const e = decryptMessage(envA, alice, r.message);
      alice = e.session;
      expect(text(e.plaintext)).toBe(`b${i}`);
    }
  });

  it('rejects a replay without changing state', () => {
    const envA = testEnv('a', crypto);
    const envB = testEnv('b', crypto);
    let { alice, bob } = establish(envA, envB, makeDevice(envA), makeDevice(envB));
    const m = encryptMessage(envA, alice, utf8('once'));
    alice = m.session;
    bob = decryptMessage(envB, bob, m.message).session;
    const before = toHex(encodeSession(bob));
    expect(codeOf(() => decryptMessage(envB, bob, m.message))).toBe('duplicate-message');
    expect(toHex(encodeSession(bob))).toBe(before);
  });

  it('a session decoded from a Node Buffer shares no memory with it', () => {
    const envA = testEnv('a', crypto);
    const envB = testEnv('b', crypto);
    let { alice, bob } = establish(envA, envB, makeDevice(envA), makeDevice(envB));
    const stored = Buffer.from(encodeSession(bob));
    bob = decodeSession(stored);
    stored.fill(0); // e.g. a database driver reusing its read buffer
    const m = encryptMessage(envA, alice, utf8('still here'));
    alice = m.session;
    expect(text(decryptMessage(envB, bob, m.message).plaintext)).toBe('still here');
  });

  it('serializes and restores a session exactly', () => {
    const envA = testEnv('a', crypto);
    const envB = testEnv('b', crypto);
    const { alice } = establish(envA, envB, makeDevice(envA), makeDevice(envB));
    const bytes = encodeSession(alice);
    expect(toHex(encodeSession(decodeSession(bytes)))).toBe(toHex(bytes));
  });
});
