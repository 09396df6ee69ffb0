/**
 * The receiving side of typing indicators (typing-expiry.ts, docs/client.md §4.11): which events an
 * app gets for the typing payloads and texts that arrive, and the end the SDK adds by itself.
 */
import { describe, expect, it } from 'vitest';
import type { ClientEvent, MessageView } from '../src/api.ts';
import { TypingExpiry } from '../src/typing-expiry.ts';

const typing = (contactId: string, active: boolean): ClientEvent => ({
  type: 'typing',
  conversationId: `conv-${contactId}`,
  contactId,
  active,
});

const message = (contactId: string): ClientEvent => ({
  type: 'message',
  message: { contactId, conversationId: `conv-${contactId}` } as MessageView,
});

describe('typing indicators received', () => {
  it('passes every start and refresh, ends only what is on, and ends it at a text', () => {
    const expiry = new TypingExpiry(() => undefined, 60_000);
    expect(expiry.filter([typing('bob', false)])).toEqual([]); // nothing on: nothing to end
    expect(expiry.filter([typing('bob', true)])).toEqual([typing('bob', true)]);
    expect(expiry.filter([typing('bob', true)])).toEqual([typing('bob', true)]); // a refresh
    expect(expiry.filter([typing('carol', true), message('bob')])).toEqual([
      typing('carol', true),
      message('bob'),
      typing('bob', false),
    ]);
    expect(expiry.filter([message('bob')])).toEqual([message('bob')]); // off already
    expect(expiry.filter([typing('carol', false), typing('carol', false)])).toEqual([typing('carol', false)]);
    expiry.close();
  });

  it('ends an indicator with no refresh by itself', async () => {
    const emitted: ClientEvent[] = [];
    let ended: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const expiry = new TypingExpiry((events) => {
      emitted.push(...events);
      ended();
    }, 20);
    expiry.filter([typing('bob', true)]);
    await done;
    expect(emitted).toEqual([typing('bob', false)]);
    // Ended: a stop arriving late is not a second end.
    expect(expiry.filter([typing('bob', false)])).toEqual([]);
    expiry.close();
  });
});
