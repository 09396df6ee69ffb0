/** Helpers shared by the group engine's tests: people with devices, a group of them. */
import { defaultEnv, generateIdentity } from '@parley/protocol';
import type { GroupEngine, GroupState, MemberIdentity } from '../src/index.ts';

export interface Device {
  readonly name: string;
  readonly identity: MemberIdentity;
  readonly accountKey: Uint8Array;
  readonly deviceId: number;
}

export async function newDevice(engine: GroupEngine, name: string, deviceId = 1): Promise<Device> {
  const id = generateIdentity(defaultEnv);
  const identity = await engine.newIdentity({
    publicKey: id.signing.publicKey,
    privateKey: id.signing.privateKey,
    deviceId,
  });
  return { name, identity, accountKey: id.signing.publicKey, deviceId };
}

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const text = (b: Uint8Array) => new TextDecoder().decode(b);

export function groupId(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** Creator + joiners: returns each one's state after the single add commit. */
export async function makeGroup(engine: GroupEngine, creator: Device, joiners: Device[]): Promise<GroupState[]> {
  let state = await engine.createGroup({ groupId: groupId(), self: creator.identity });
  if (joiners.length === 0) return [state];
  const kps = await Promise.all(joiners.map((d) => engine.keyPackage(d.identity)));
  const r = await engine.commit(state, { add: kps.map((k) => k.public) });
  state = r.state;
  if (r.welcome === undefined) throw new Error('expected a welcome');
  const welcome = r.welcome;
  const joined = await Promise.all(kps.map((k) => engine.join(welcome, k.private)));
  return [state, ...joined];
}

/** A fixed-length view of an array (checked), for destructuring under noUncheckedIndexedAccess. */
export function tuple<T>(xs: readonly T[], n: 2): [T, T];
export function tuple<T>(xs: readonly T[], n: 3): [T, T, T];
export function tuple<T>(xs: readonly T[], n: 4): [T, T, T, T];
export function tuple<T>(xs: readonly T[], n: number): T[] {
  if (xs.length < n) throw new Error(`expected ${n} items, got ${xs.length}`);
  return xs.slice(0, n);
}

/** Devices named `names` and a group made by the first adding the others. */
export async function setup(
  engine: GroupEngine,
  names: string[],
): Promise<{ devices: Device[]; states: GroupState[] }> {
  const devices = await Promise.all(names.map((n) => newDevice(engine, n)));
  const [creator, ...joiners] = devices;
  if (creator === undefined) throw new Error('no devices');
  return { devices, states: await makeGroup(engine, creator, joiners) };
}
