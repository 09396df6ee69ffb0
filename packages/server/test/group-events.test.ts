/**
 * Group events (groups/group-events.ts): listeners hear of entries stored in their group, in this
 * process and — over a cluster's bus — in others, whose notice carries the group id and the seq
 * only; a reconnected bus wakes every subscriber to read again.
 */
import { describe, expect, it } from 'vitest';
import { groupSubject, parseStoredNotice } from '../src/bus/group-notices.ts';
import { LocalBusHub } from '../src/bus/local-bus.ts';
import { GroupEvents } from '../src/groups/group-events.ts';
import type { GroupEntry } from '../src/storage/index.ts';

const id = (n: number) => new Uint8Array(16).fill(n);
const entry = (seq: number): GroupEntry => ({
  seq,
  epoch: 0,
  kind: 'application',
  message: new Uint8Array(3),
  nextWriteKey: null,
  receivedAt: 1,
});

describe('group events', () => {
  it('hand this process’s listeners the entry, for their group only, until they unsubscribe', () => {
    const events = new GroupEvents();
    const heard: [number | null, GroupEntry | undefined][] = [];
    const other: (number | null)[] = [];
    const stop = events.subscribe(id(1), (seq, e) => heard.push([seq, e]));
    events.subscribe(id(2), (seq) => other.push(seq));
    const seven = entry(7);
    events.notify(id(1), seven);
    stop();
    events.notify(id(1), entry(8));
    expect(heard).toEqual([[7, seven]]);
    expect(other).toEqual([]);
  });

  it('carry a notice of group id and seq (no entry) to the other processes of a cluster, and wake all on reconnect', async () => {
    const hub = new LocalBusHub();
    const [a, b] = [hub.connect(), hub.connect()];
    const published: Uint8Array[] = [];
    a.subscribe(groupSubject('parley', id(1)), (data) => published.push(data));
    const here = new GroupEvents({ bus: a, prefix: 'parley' });
    const there = new GroupEvents({ bus: b, prefix: 'parley' });
    const heard: (number | null)[] = [];
    there.subscribe(id(1), (seq, e) => heard.push(e === undefined ? seq : -1));
    await Promise.resolve();
    heard.length = 0; // the wake-up once its bus subscription is ready
    here.notify(id(1), entry(42));
    expect(heard).toEqual([42]);
    b.drop();
    b.restore();
    expect(heard).toEqual([42, null]);
    // What the bus carried: 8 bytes, the seq; the subject names the group in hex.
    const notice = new GroupEvents({ bus: b, prefix: 'parley' });
    notice.notify(id(1), entry(9));
    expect(published.map((d) => [d.length, parseStoredNotice(d)])).toEqual([[8, 9]]);
    expect(groupSubject('parley', id(1))).toBe(`parley.group.${'01'.repeat(16)}`);
  });
});
