/**
 * `npm run bench:groups`: the MLS group engine (@parley/groups) at 10, 100 and 1,000 members,
 * with our node:crypto provider and — on the very same group states, decoded from the same
 * bytes — with ts-mls's default (WebCrypto) provider, as a user of the library gets it out of
 * the box. docs/benchmarks.md ("Groups") gives the method and the latest figures.
 *
 * For each size N:
 * 1. The creator C makes the group and adds N − 1 members in one commit; R (the member in the
 *    middle of the tree) joins from the Welcome. The tree is now sparse: C's direct path is
 *    filled but every other member sits as an unmerged leaf under it, so a path update must
 *    encrypt to nearly every member. Measured here: the "sparse" worst case.
 * 2. Every member then commits once (an empty commit, a fresh path): each member's commit is
 *    made from its own view (bench-support memberView: the shared epoch state plus the member's
 *    own keys) and processed by C and R. The tree is now full: each copath node has a
 *    resolution of one, the target case ("members have each committed once since joining").
 * 3. Measured at both points, per provider: a remove commit (C removes one member) created and
 *    processed by R; an add commit (one new device) created and processed; a 100-byte
 *    application message encrypted (C) and decrypted (R); R's saved state size; the wire size of
 *    the 100-byte message, of the commits and of the Welcome.
 *
 * Options: --sizes 10,100,1000 (10000 works but the setup takes minutes), --repeat N (timed
 * runs per step, median kept; default 5, 3 above 100 members), --messages N (default 200),
 * --providers parley,default. Human-readable lines on stderr, one JSON line last on stdout.
 */
import { bindLeafKey, createGroupEngine, type GroupEngine, type GroupState } from '@parley/groups';
import { defaultProviderCipherSuite, memberView } from '@parley/groups/bench-support';
import { defaultEnv, generateIdentity } from '@parley/protocol';
import { isMain, percentile } from './measure.ts';

interface Options {
  sizes: number[];
  repeat?: number;
  messages: number;
  providers: ('parley' | 'default')[];
}

interface StepFigures {
  removeCreateMs: number;
  removeProcessMs: number;
  addCreateMs: number;
  addProcessMs: number;
  messageEncryptDecryptMs?: number;
}

interface SizeFigures {
  members: number;
  setupSeconds: number;
  joinByWelcomeMs: number;
  stateBytes: number;
  sparseStateBytes: number;
  message100Bytes: number;
  removeCommitBytes: number;
  addCommitBytes: number;
  welcomeBytes: number;
  full: Record<string, StepFigures>;
  sparse: Record<string, StepFigures>;
}

const now = () => performance.now();
const round2 = (x: number) => Math.round(x * 100) / 100;

async function medianMs(repeat: number, step: () => Promise<unknown>): Promise<number> {
  await step(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = now();
    await step();
    times.push(now() - t);
  }
  times.sort((a, b) => a - b);
  return round2(percentile(times, 50));
}

async function newDevice(engine: GroupEngine, deviceId = 1) {
  const id = generateIdentity(defaultEnv);
  const signatureKey = (() => {
    const privateKey = engine.primitives.randomBytes(32);
    return { privateKey, publicKey: engine.primitives.ed25519PublicKey(privateKey) };
  })();
  const credential = bindLeafKey(engine.primitives, id.signing, deviceId, signatureKey.publicKey);
  const identity = { credential, signatureKey };
  return { identity, keyPackage: await engine.keyPackage(identity) };
}

/** Remove, add and message figures for committer C and receiver R with one engine. */
async function measureSteps(
  engine: GroupEngine,
  c: GroupState,
  r: GroupState,
  victim: number,
  newcomer: Uint8Array,
  repeat: number,
  messages: number,
): Promise<{ figures: StepFigures; sizes: { remove: number; add: number; welcome: number; message: number } }> {
  const remove = await engine.commit(c, { remove: [victim] });
  const add = await engine.commit(c, { add: [newcomer] });
  const figures: StepFigures = {
    removeCreateMs: await medianMs(repeat, () => engine.commit(c, { remove: [victim] })),
    removeProcessMs: await medianMs(repeat, () => engine.process(r, remove.commit)),
    addCreateMs: await medianMs(repeat, () => engine.commit(c, { add: [newcomer] })),
    addProcessMs: await medianMs(repeat, () => engine.process(r, add.commit)),
  };
  const body = new Uint8Array(100).fill(0x61);
  let sender = c;
  let receiver = r;
  let messageBytes = 0;
  if (messages > 0) {
    const t = now();
    for (let i = 0; i < messages; i++) {
      const sent = await engine.encrypt(sender, body);
      sender = sent.state;
      messageBytes = sent.message.length;
      const got = await engine.process(receiver, sent.message);
      receiver = got.state;
    }
    figures.messageEncryptDecryptMs = Math.round(((now() - t) / messages) * 1000) / 1000;
  }
  return {
    figures,
    sizes: {
      remove: remove.commit.length,
      add: add.commit.length,
      welcome: add.welcome?.length ?? 0,
      message: messageBytes,
    },
  };
}

export async function benchGroups(o: Options): Promise<Record<string, SizeFigures>> {
  const parley = createGroupEngine();
  const engines: [string, GroupEngine][] = [];
  if (o.providers.includes('parley')) engines.push(['parley', parley]);
  if (o.providers.includes('default')) {
    engines.push(['ts-mls default', createGroupEngine({ cipherSuite: await defaultProviderCipherSuite() })]);
  }
  const out: Record<string, SizeFigures> = {};
  for (const n of o.sizes) {
    const repeat = o.repeat ?? (n > 100 ? 3 : 5);
    const t0 = now();
    // 1. The sparse group: C adds everyone at once; R (mid-tree) joins from the Welcome.
    const devices = await Promise.all(Array.from({ length: n }, () => newDevice(parley)));
    const creator = devices[0];
    if (creator === undefined) throw new Error('no members');
    const groupId = parley.primitives.randomBytes(16);
    const created = await parley.createGroup({ groupId, self: creator.identity });
    const bulk = await parley.commit(created, { add: devices.slice(1).map((d) => d.keyPackage.public) });
    let c = bulk.state;
    const rLeaf = Math.floor(n / 2);
    const rDevice = devices[rLeaf];
    if (bulk.welcome === undefined || rDevice === undefined) throw new Error('no welcome');
    const welcome = bulk.welcome;
    let r = await parley.join(welcome, rDevice.keyPackage.private);
    const joinByWelcomeMs = await medianMs(Math.min(repeat, 3), () => parley.join(welcome, rDevice.keyPackage.private));
    const newcomer = (await newDevice(parley)).keyPackage.public;
    const victim = n - 1 === rLeaf ? 1 : n - 1;
    const sparseC = parley.encodeState(c);
    const sparseR = parley.encodeState(r);
    const sparseStateBytes = sparseR.length;

    // 2. Every member commits once (C last, from its own state).
    for (let leaf = 1; leaf < n; leaf++) {
      const device = devices[leaf];
      if (device === undefined) throw new Error('missing device');
      const view = leaf === rLeaf ? r : memberView(c, leaf, device.keyPackage.private);
      const made = await parley.commit(view, {});
      c = (await parley.process(c, made.commit)).state;
      r = leaf === rLeaf ? made.state : (await parley.process(r, made.commit)).state;
    }
    {
      const made = await parley.commit(c, {});
      c = made.state;
      r = (await parley.process(r, made.commit)).state;
    }
    const fullC = parley.encodeState(c);
    const fullR = parley.encodeState(r);
    const setupSeconds = Math.round((now() - t0) / 100) / 10;
    console.error(`${n} members: set up in ${setupSeconds} s (sparse group, then ${n} commits)`);

    // 3. Measure on the same bytes with each engine.
    const full: Record<string, StepFigures> = {};
    const sparse: Record<string, StepFigures> = {};
    let sizes = { remove: 0, add: 0, welcome: 0, message: 0 };
    for (const [name, engine] of engines) {
      const messages = name === 'parley' ? o.messages : Math.max(20, Math.floor(o.messages / 5));
      const f = await measureSteps(
        engine,
        engine.decodeState(fullC),
        engine.decodeState(fullR),
        victim,
        newcomer,
        repeat,
        messages,
      );
      full[name] = f.figures;
      if (name === 'parley') sizes = f.sizes;
      const s = await measureSteps(
        engine,
        engine.decodeState(sparseC),
        engine.decodeState(sparseR),
        victim,
        newcomer,
        repeat,
        0,
      );
      sparse[name] = s.figures;
      const fm = f.figures;
      const sm = s.figures;
      console.error(
        `${String(n).padStart(6)} ${name.padEnd(15)} full: remove ${fm.removeCreateMs} / ${fm.removeProcessMs} ms, ` +
          `add ${fm.addCreateMs} / ${fm.addProcessMs} ms, message ${fm.messageEncryptDecryptMs} ms` +
          ` | sparse: remove ${sm.removeCreateMs} / ${sm.removeProcessMs} ms, add ${sm.addCreateMs} / ${sm.addProcessMs} ms`,
      );
    }
    out[String(n)] = {
      members: n,
      setupSeconds,
      joinByWelcomeMs,
      stateBytes: fullR.length,
      sparseStateBytes,
      message100Bytes: sizes.message,
      removeCommitBytes: sizes.remove,
      addCommitBytes: sizes.add,
      welcomeBytes: sizes.welcome,
      full,
      sparse,
    };
    console.error(
      `${String(n).padStart(6)} sizes: state ${fullR.length} B (sparse ${sparseStateBytes} B), 100-byte message ` +
        `${sizes.message} B, remove commit ${sizes.remove} B, add commit ${sizes.add} B + welcome ${sizes.welcome} B; ` +
        `join by welcome ${joinByWelcomeMs} ms`,
    );
  }
  return out;
}

function parse(argv: string[]): Options {
  const o: Options = { sizes: [10, 100, 1000], messages: 200, providers: ['parley', 'default'] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--sizes') o.sizes = value.split(',').map(Number);
    else if (flag === '--repeat') o.repeat = Number(value);
    else if (flag === '--messages') o.messages = Number(value);
    else if (flag === '--providers') o.providers = value.split(',') as Options['providers'];
    else throw new Error('usage: --sizes 10,100,1000 --repeat N --messages N --providers parley,default');
  }
  const ints = [...o.sizes, o.repeat ?? 1, o.messages];
  if (ints.some((x) => !Number.isInteger(x) || x < 0) || o.sizes.some((x) => x < 2)) {
    throw new Error('sizes must be integers ≥ 2, counts non-negative integers');
  }
  if (o.providers.some((p) => p !== 'parley' && p !== 'default')) throw new Error('providers: parley, default');
  return o;
}

if (isMain(import.meta.url)) {
  try {
    const o = parse(process.argv.slice(2));
    const figures = await benchGroups(o);
    console.log(JSON.stringify({ bench: 'groups', ciphersuite: 1, figures }));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
}
