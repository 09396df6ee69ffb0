/**
 * The pure parts of linking (docs/client.md §2, §4.10): the device-link codec, the history plan
 * and its bound, the frame bodies' schemas.
 */
import { defaultEnv, generateIdentity, LinkFrameKind, publicIdentity } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { planHistory, type ScannedMessage } from '../src/engine/history-plan.ts';
import { decodeLinkBody, encodeLinkBody, MAX_HISTORY_MESSAGES, parseHistoryChoice } from '../src/engine/link-wire.ts';
import { decodeDeviceLink, encodeDeviceLink } from '../src/engine/links.ts';
import { ClientError } from '../src/errors.ts';

const env = defaultEnv;
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof ClientError ? e.code : 'other';
  }
}

describe('device links', () => {
  const link = {
    server: 'https://parley.example/sub',
    identity: publicIdentity(generateIdentity(env)),
    up: { id: bytes(16, 1), senderPrivateKey: bytes(32, 2) },
    down: { id: bytes(16, 3), recipientPrivateKey: bytes(32, 4) },
    commitment: bytes(32, 5),
    expiresAt: 1_800_000_000_000,
  };

  it('round-trips, and the payload is exactly what the link carries', () => {
    const { link: text, payload } = encodeDeviceLink(link);
    expect(text.startsWith('parley://link/')).toBe(true);
    const back = decodeDeviceLink(env, `  ${text}\n`);
    expect(back.server).toBe(link.server);
    expect(back.up).toEqual(link.up);
    expect(back.down).toEqual(link.down);
    expect(back.commitment).toEqual(link.commitment);
    expect(back.expiresAt).toBe(link.expiresAt);
    expect(back.payload).toEqual(payload);
  });

  it('refuses truncated, extended, foreign and other kinds of links with bad-link', () => {
    const { link: text } = encodeDeviceLink(link);
    expect(codeOf(() => decodeDeviceLink(env, text.slice(0, -4)))).toBe('bad-link');
    expect(codeOf(() => decodeDeviceLink(env, `${text}AAAA`))).toBe('bad-link');
    expect(codeOf(() => decodeDeviceLink(env, text.replace('parley://link/', 'parley://invite/')))).toBe('bad-link');
    expect(codeOf(() => decodeDeviceLink(env, 'https://example.org/'))).toBe('bad-link');
    const bad = encodeDeviceLink({ ...link, server: 'ftp://example.org' }).link;
    expect(codeOf(() => decodeDeviceLink(env, bad))).toBe('bad-link');
  });
});

describe('history plan', () => {
  const day = 24 * 3600_000;
  const now = 100 * day;
  const msgs = (prefix: string, times: number[]): ScannedMessage[] =>
    times.map((t, i) => ({ id: `${String(t).padStart(12, '0')}${prefix}${i}`, storedAt: t, bytes: 100 }));

  it('none sends contacts only; all sends every message; days:N only the recent ones', () => {
    const conversations = new Map([
      ['a', msgs('a', [1 * day, 50 * day, 99 * day])],
      ['b', msgs('b', [2 * day, 98 * day])],
    ]);
    expect(planHistory({ kind: 'none' }, now, ['x', 'y'], conversations)).toEqual({
      contacts: ['x', 'y'],
      ranges: [],
      total: 2,
    });
    const all = planHistory({ kind: 'all' }, now, ['x', 'y'], conversations);
    expect(all.total).toBe(7);
    expect(all.ranges.map((r) => [r.conversationId, r.after, r.count])).toEqual([
      ['a', '', 3],
      ['b', '', 2],
    ]);
    const recent = planHistory({ kind: 'days', days: 3 }, now, ['x'], conversations);
    expect(recent.total).toBe(3);
    const a = recent.ranges.find((r) => r.conversationId === 'a');
    expect(a?.count).toBe(1);
    expect(a?.after).toBe(conversations.get('a')?.[1]?.id); // the newest left out
  });

  it('keeps the newest messages up to the bound', () => {
    const many = Array.from({ length: MAX_HISTORY_MESSAGES + 10 }, (_, i) => i + 1);
    const conversations = new Map([['a', msgs('a', many)]]);
    const plan = planHistory({ kind: 'all' }, now, [], conversations);
    expect(plan.total).toBe(MAX_HISTORY_MESSAGES);
    expect(plan.ranges[0]?.after).toBe(conversations.get('a')?.[9]?.id); // the 10 oldest left out
    expect(plan.ranges[0]?.to).toBe(conversations.get('a')?.at(-1)?.id);
  });
});

describe('frame bodies', () => {
  it('parse the history choice and refuse anything else', () => {
    expect(parseHistoryChoice('days:30')).toEqual({ kind: 'days', days: 30 });
    expect(parseHistoryChoice('all')).toEqual({ kind: 'all' });
    for (const bad of ['days:0', 'days:x', 'some', 'days:-1'])
      expect(codeOf(() => parseHistoryChoice(bad))).toBe('usage');
  });

  it('round-trip, and a body of the wrong shape is link-tampered', () => {
    const body = { history: { kind: 'days', days: 7 }, deviceName: 'phone' } as const;
    expect(decodeLinkBody(LinkFrameKind.confirm, encodeLinkBody(LinkFrameKind.confirm, body))).toEqual(body);
    const ack = encodeLinkBody(LinkFrameKind.ack, { n: 3 });
    expect(codeOf(() => decodeLinkBody(LinkFrameKind.confirm, ack))).toBe('link-tampered');
    expect(codeOf(() => decodeLinkBody(LinkFrameKind.ack, new TextEncoder().encode('{"n":-1}')))).toBe('link-tampered');
    expect(codeOf(() => decodeLinkBody(LinkFrameKind.ack, new Uint8Array([0xff])))).toBe('link-tampered');
  });
});
