/**
 * The warnings `receive` and `chat` print for one contact's messages (docs/client.md §4.6):
 * damaged, missing, not delivered — each names the contact and, where there is one, the count.
 */
import type { ClientEvent } from '@parley/client';
import { describe, expect, it } from 'vitest';
import { contactWarning, deviceEventContact, deviceNotice, isContactWarning, isDeviceEvent } from '../src/notices.ts';

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

describe('device notices', () => {
  it('picks out the device events and words them, loud for what a server or a removed device tries', () => {
    const events: ClientEvent[] = [
      { type: 'contact-device-added', contactId: 'k1', device: 2 },
      { type: 'unknown-device', contactId: 'k1', device: 7 },
      { type: 'device-list-rollback', contactId: null, reason: 'older' },
      { type: 'removed-from-account' },
      { type: 'connection', state: 'online' },
      { type: 'missing', ...about, count: 1 },
    ];
    const picked = events.filter(isDeviceEvent);
    expect(picked.map((e) => e.type)).toEqual([
      'contact-device-added',
      'unknown-device',
      'device-list-rollback',
      'removed-from-account',
    ]);
    expect(picked.map(deviceEventContact)).toEqual(['k1', 'k1', null, null]);
    const [added, ghost, rollback, removed] = picked.map((e) => deviceNotice(e, 'Bob'));
    expect(added).toContain('Bob linked a new device');
    expect(added).toContain('safety number is unchanged');
    expect(ghost).toMatch(/^⚠ .*not on Bob's signed device list/);
    expect(rollback).toMatch(/^⚠ An older device list for your account/);
    expect(removed).toMatch(/^⚠ Another device of your account removed this one/);
    expect(deviceNotice({ type: 'device-stale', contactId: null, device: 2, dropped: true }, '')).toContain(
      'nothing is sent to it any more',
    );
  });
});
