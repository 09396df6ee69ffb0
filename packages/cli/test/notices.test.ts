/**
 * The warnings `receive` and `chat` print for one contact's messages (docs/client.md §4.6):
 * damaged, missing, not delivered — each names the contact and, where there is one, the count.
 */
import type { ClientEvent } from '@parley/client';
import { describe, expect, it } from 'vitest';
import { contactWarning, isContactWarning } from '../src/notices.ts';

const about = { conversationId: 'c1', contactId: 'k1' };

describe('contact warnings', () => {
  it('picks out exactly the three per-contact warnings', () => {
    const events: ClientEvent[] = [
      { type: 'undecryptable', ...about },
      { type: 'missing', ...about, count: 2 },
      { type: 'not-delivered', ...about, messageIds: ['m1', 'm2', 'm3'] },
      { type: 'connection', state: 'online' },
      { type: 'delivered', ...about, messageIds: ['m1'] },
    ];
    expect(events.filter(isContactWarning).map((e) => e.type)).toEqual(['undecryptable', 'missing', 'not-delivered']);
  });

  it('says what happened, to whom, and how many', () => {
    expect(contactWarning({ type: 'missing', ...about, count: 2 }, 'Bob')).toContain(
      '2 messages from Bob have not arrived',
    );
    expect(contactWarning({ type: 'missing', ...about, count: 1 }, 'Bob')).toContain(
      '1 message from Bob has not arrived',
    );
    expect(contactWarning({ type: 'not-delivered', ...about, messageIds: ['a', 'b', 'c'] }, 'Bob')).toContain(
      '3 messages to Bob could not be delivered',
    );
    const damaged = contactWarning({ type: 'undecryptable', ...about }, 'Bob');
    expect(damaged).toContain('A message from Bob arrived damaged');
    expect(damaged).not.toContain('lost');
  });
});
