/**
 * Group events (groups/group-events.ts): listeners hear of entries stored in their group, in this
 * process and — over a cluster's bus — in others, whose notice carries the group id and the seq
 * only; a reconnected bus wakes every subscriber to read again.
 */
import { describe, expect, it } from 'vitest';
import { groupSubject, parseStoredNotice } from '../src/bus/group-notices.ts';
import { LocalBusHub } from '../src/bus/local-bus.ts';
import { GroupEvents } from '../src/groups/group-events.ts';

const id = (n: number) => new Uint8Array(16).fill(n);

describe('group events', () => {
  it('tell this process’s listeners of their group only, until they unsubscribe', () => {
    const events = new GroupEvents();
    const heard: (number | null)[] = [];
    const other: (number | null)[] = [];
    const stop = events.subscribe(id(1), (seq) => heard.push(seq));
    events.subscribe(id(2), (seq) => other.push(seq));
    events.notify(id(1), 7);
    stop();
    events.notify(id(1), 8);
    expect(heard).toEqual([7]);
    expect(other).toEqual([]);
  });

  it('carry a notice of group id and seq to the other processes of a cluster, and wake all on reconnect', async () => {
    const hub = new LocalBusHub();
    const [a, b] = [hub.connect(), hub.connect()];
    const published: Uint8Array[] = [];
    a.subscribe(groupSubject('parley', id(1)), (data) => published.push(data));
    const here = new GroupEvents({ bus: a, prefix: 'parley' });
    const there = new GroupEvents({ bus: b, prefix: 'parley' });
    const heard: (number | null)[] = [];
    there.subscribe(id(1), (seq) => heard.push(seq));
    await Promise.resolve();
    heard.length = 0; // the wake-up once its bus subscription is ready
    here.notify(id(1), 42);
    expect(heard).toEqual([42]);
    b.drop();
    b.restore();
    expect(heard).toEqual([42, null]);
    // What the bus carried: 8 bytes, the seq; the subject names the group in hex.
    const notice = new GroupEvents({ bus: b, prefix: 'parley' });
    notice.notify(id(1), 9);
    expect(published.map((d) => [d.length, parseStoredNotice(d)])).toEqual([[8, 9]]);
    expect(groupSubject('parley', id(1))).toBe(`parley.group.${'01'.repeat(16)}`);
  });
});
