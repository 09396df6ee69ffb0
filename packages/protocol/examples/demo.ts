/**
 * `npm start` (until the server exists): Alice and Bob meet through a prekey bundle, agree on
 * keys with PQXDH, talk with the header-encrypted Double Ratchet — including a message that
 * arrives late — and compare safety numbers. Everything runs in this process; nothing touches
 * the network or disk.
 */
import {
  acceptInitialMessage,
  createInitiatorSession,
  decodeBundle,
  decodeInitialMessage,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeSession,
  encryptMessage,
  defaultEnv as env,
  generateIdentity,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  kemPreKeyPublic,
  oneTimePreKeyPublic,
  publicIdentity,
  type Session,
  safetyNumber,
  signedPreKeyPublic,
  utf8,
} from '../src/index.ts';

const say = (who: string, what: string) => console.log(`${who.padEnd(6)}│ ${what}`);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

console.log(`Parley protocol demo (crypto backend: ${env.crypto.name})\n`);

// Bob's device publishes a bundle: identity, signed prekey, one-time prekey, ML-KEM-768 prekey.
const bob = generateIdentity(env);
const spk = generateSignedPreKey(env, bob, 1);
const [otk] = generateOneTimePreKeys(env, 1, 1);
const kem = generateKemPreKey(env, bob, 1, false);
if (otk === undefined) throw new Error('unreachable');
const bundle = encodeBundle({
  identity: publicIdentity(bob),
  deviceId: deviceId(1),
  signedPreKey: signedPreKeyPublic(spk),
  oneTimePreKey: oneTimePreKeyPublic(otk),
  kemPreKey: kemPreKeyPublic(kem),
});
say('bob', `published a prekey bundle (${bundle.length} bytes)`);

// Alice fetches it, verifies every signature and runs PQXDH.
const alice = generateIdentity(env);
let a: Session = createInitiatorSession(env, alice, deviceId(1), decodeBundle(bundle));
const first = encryptMessage(env, a, utf8('Hi Bob, it is Alice.'));
a = first.session;
say('alice', `→ initial message (${first.message.length} bytes: PQXDH fields + first ratchet message)`);

const accepted = acceptInitialMessage(env, bob, deviceId(1), decodeInitialMessage(first.message), {
  signedPreKey: spk,
  oneTimePreKey: otk,
  kemPreKey: kem,
});
let b: Session = accepted.session;
say(
  'bob',
  `← "${text(accepted.plaintext)}" (one-time prekeys to delete: X25519 #${accepted.consumed.oneTimePreKeyId}, ML-KEM #${accepted.consumed.kemPreKeyId})`,
);

// Bob replies twice; the first reply is delayed in the network and arrives last.
const r1 = encryptMessage(env, b, utf8('Hello Alice! This one arrives late.'));
b = r1.session;
const r2 = encryptMessage(env, b, utf8('And this one arrives first.'));
b = r2.session;
say('bob', `→ two replies (${r1.message.length} and ${r2.message.length} bytes; sizes are padded to buckets)`);
for (const m of [r2.message, r1.message]) {
  const d = decryptMessage(env, a, m);
  a = d.session;
  say('alice', `← "${text(d.plaintext)}"`);
}

// A replayed message is refused and leaves the session as it was.
try {
  decryptMessage(env, a, r1.message);
} catch (e) {
  say('alice', `refused a replayed message (${(e as { code?: string }).code})`);
}

const c = encryptMessage(env, a, utf8('Got both. Let us compare safety numbers.'));
a = c.session;
const d = decryptMessage(env, b, c.message);
b = d.session;
say('bob', `← "${text(d.plaintext)}"`);

const sa = safetyNumber(env, publicIdentity(alice), publicIdentity(bob));
const sb = safetyNumber(env, publicIdentity(bob), publicIdentity(alice));
console.log(`\nsafety number (Alice) ${sa.display}`);
console.log(`safety number (Bob)   ${sb.display}`);
console.log(sa.digits === sb.digits ? 'they match: no one is in the middle.' : 'MISMATCH');
console.log(`\nsaved session state: ${encodeSession(a).length} bytes (Alice), ${encodeSession(b).length} bytes (Bob)`);
console.log('The server and CLI arrive in later releases; see README.md.');
