import { acceptInitialMessage, createInitiatorSession, decodeAnyInitialMessage, defaultEnv as env, encryptMessage, utf8 } from '../src/index.ts';
import { bundleOf, makeDevice } from './kit.ts';
const a = makeDevice(env, 1); const b = makeDevice(env, 2);
const keys = { signedPreKey: b.signedPreKey, oneTimePreKey: null, kemPreKey: b.lastResortKemPreKey };
const bundle = bundleOf(b, { oneTime: false, lastResort: true });
function run(sealed: boolean) {
  const s = createInitiatorSession(env, a.identity, a.device, bundle, undefined, { sealed });
  const m = encryptMessage(env, s, utf8('hello'));
  acceptInitialMessage(env, b.identity, b.device, decodeAnyInitialMessage(m.message), keys, { isBaseKeyUsed: () => false });
  return m.message.length;
}
console.log('sizes plain/sealed', run(false), run(true));
const t = { plain: [] as number[], sealed: [] as number[] };
for (let round = 0; round < 6; round++) for (const k of ['plain', 'sealed'] as const) {
  const n = 100; const s0 = performance.now(); for (let i = 0; i < n; i++) run(k === 'sealed'); t[k].push((performance.now() - s0) / n);
}
for (const k of ['plain', 'sealed'] as const) { const v = t[k].sort((x, y) => x - y); console.log(k, 'median ms per setup (create+encrypt+accept):', v[3]?.toFixed(3), 'min', v[0]?.toFixed(3)); }
