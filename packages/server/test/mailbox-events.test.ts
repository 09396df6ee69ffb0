/**
 * Mailbox events on one process (the message handed over) and in a cluster (local-bus.ts stands
 * for NATS): a delivery on one process wakes the subscribers of another with its seq, only
 * processes subscribed to the mailbox hear of it, a process's own deliveries are read back too
 * (a cluster's seqs may commit on another process in between), and a bus that comes back or a
 * subscription that becomes ready wakes every subscriber to read the database again.
 */
import { describe, expect, it } from 'vitest';
import { LocalBusHub } from '../src/bus/local-bus.ts';
import {
  encodeStoredNotice,
  mailboxSubject,
  parseForgetNotice,
  parseStoredNotice,
} from '../src/bus/mailbox-notices.ts';
import { MailboxEvents } from '../src/mailboxes/mailbox-events.ts';

const A = new Uint8Array(16).fill(1);
const B = new Uint8Array(16).fill(2);
const message = (seq: number) => ({ seq, envelope: new Uint8Array([seq]), receivedAt: 0 });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('mailbox events', () => {
  it('on one process hands the committed message to the mailbox’s listeners only', () => {
    const events = new MailboxEvents();
    const got: number[] = [];
    const stop = events.subscribe(A, (m) => got.push(m.seq));
    events.notify(A, message(1));
    events.notify(B, message(2));
    stop();
    events.notify(A, message(3));
    expect(got).toEqual([1]);
  });

  it('in a cluster wakes the subscribers of every process with the seq, to read it back', async () => {
    const hub = new LocalBusHub();
    const one = new MailboxEvents({ bus: hub.connect(), prefix: 'p' });
    const two = new MailboxEvents({ bus: hub.connect(), prefix: 'p' });
    const delivered: number[] = [];
    const onOne: (number | null)[] = [];
    const onTwo: (number | null)[] = [];
    one.subscribe(
      A,
      (m) => delivered.push(m.seq),
      (seq) => onOne.push(seq),
    );
    two.subscribe(
      A,
      (m) => delivered.push(m.seq),
      (seq) => onTwo.push(seq),
    );
    await flush(); // the subscriptions became ready: each is told to read once
    expect([onOne, onTwo]).toEqual([[null], [null]]);
    one.notify(A, message(7));
    two.notify(A, message(9));
    two.notify(B, message(10)); // nobody listens to B
    expect(delivered).toEqual([]);
    expect(onOne).toEqual([null, 7, 9]);
    expect(onTwo).toEqual([null, 7, 9]);
  });

  it('stops listening to a mailbox’s subject when its last subscriber leaves', async () => {
    const hub = new LocalBusHub();
    const one = new MailboxEvents({ bus: hub.connect(), prefix: 'p' });
    const busTwo = hub.connect();
    const two = new MailboxEvents({ bus: busTwo, prefix: 'p' });
    const heard: (number | null)[] = [];
    let raw = 0;
    busTwo.subscribe(mailboxSubject('p', A), () => raw++);
    const stop = two.subscribe(
      A,
      () => {},
      (seq) => heard.push(seq),
    );
    await flush();
    stop();
    one.notify(A, message(1));
    expect(heard).toEqual([null]);
    expect(raw).toBe(1); // the notice went out; the events no longer listened
  });

  it('wakes every subscribed mailbox when the bus comes back: notices published meanwhile were lost', async () => {
    const hub = new LocalBusHub();
    const one = new MailboxEvents({ bus: hub.connect(), prefix: 'p' });
    const busTwo = hub.connect();
    const two = new MailboxEvents({ bus: busTwo, prefix: 'p' });
    const heard: (number | null)[] = [];
    two.subscribe(
      A,
      () => {},
      (seq) => heard.push(seq),
    );
    two.subscribe(
      B,
      () => {},
      (seq) => heard.push(seq),
    );
    await flush();
    heard.length = 0;
    busTwo.drop();
    one.notify(A, message(3));
    expect(heard).toEqual([]);
    busTwo.restore();
    expect(heard).toEqual([null, null]);
  });

  it('ignores malformed notices from the bus', async () => {
    const hub = new LocalBusHub();
    const busOne = hub.connect();
    const two = new MailboxEvents({ bus: hub.connect(), prefix: 'p' });
    const heard: (number | null)[] = [];
    two.subscribe(
      A,
      () => {},
      (seq) => heard.push(seq),
    );
    await flush();
    heard.length = 0;
    busOne.publish(mailboxSubject('p', A), new Uint8Array(3));
    busOne.publish(mailboxSubject('p', A), encodeStoredNotice(5));
    expect(heard).toEqual([5]);
    expect(parseStoredNotice(new Uint8Array(8).fill(0xff))).toBeNull();
    expect(parseForgetNotice(new Uint8Array(15))).toBeNull();
    expect(parseForgetNotice(A)).toEqual(A);
  });
});
