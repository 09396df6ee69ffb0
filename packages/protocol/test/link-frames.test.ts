import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INITIAL_LINK_RECEIVE_STATE,
  LinkFrameKind,
  MAX_LINK_FRAME_PLAINTEXT,
  openLinkFrame,
  ProtocolError,
  receiveLinkFrame,
  sealLinkFrame,
  toHex,
  utf8,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

describe.each(backends.map((b) => [b.name, b] as const))('link frames (%s backend)', (_name, crypto) => {
  const env = testEnv('link-frames', crypto);
  const key = env.random(32);
  const otherKey = env.random(32);
  const text = utf8('{"history":"all"}');

  it('round-trip kind, index and plaintext, and bind them all', () => {
    const frame = sealLinkFrame(env, key, LinkFrameKind.confirm, 3, text);
    expect(frame.length).toBe(7 + text.length + 16);
    const opened = openLinkFrame(env, key, frame);
    expect(opened.kind).toBe(LinkFrameKind.confirm);
    expect(opened.index).toBe(3);
    expect(toHex(opened.plaintext)).toBe(toHex(text));
    expect(codeOf(() => openLinkFrame(env, otherKey, frame))).toBe('decrypt-failed');
    const relabelled = frame.slice();
    relabelled[2] = LinkFrameKind.abort;
    expect(codeOf(() => openLinkFrame(env, key, relabelled))).toBe('decrypt-failed');
    const renumbered = frame.slice();
    renumbered[6] = 4;
    expect(codeOf(() => openLinkFrame(env, key, renumbered))).toBe('decrypt-failed');
  });

  it('refuses truncated frames, unknown kinds and oversized plaintexts', () => {
    const frame = sealLinkFrame(env, key, LinkFrameKind.chunk, 0, text);
    for (let n = 0; n < 7 + 16; n++) expect(codeOf(() => openLinkFrame(env, key, frame.subarray(0, n)))).toBe('decode');
    expect(codeOf(() => openLinkFrame(env, key, frame.subarray(0, frame.length - 1)))).toBe('decrypt-failed');
    for (const kind of [0, 7, 0xff]) {
      const unknown = frame.slice();
      unknown[2] = kind;
      expect(codeOf(() => openLinkFrame(env, key, unknown))).toBe('decode');
    }
    const other = frame.slice();
    other[1] = 0x03;
    expect(codeOf(() => openLinkFrame(env, key, other))).toBe('decode');
    expect(codeOf(() => sealLinkFrame(env, key, 9 as LinkFrameKind, 0, text))).toBe('usage');
    const max = sealLinkFrame(env, key, LinkFrameKind.chunk, 1, new Uint8Array(MAX_LINK_FRAME_PLAINTEXT));
    expect(openLinkFrame(env, key, max).plaintext.length).toBe(MAX_LINK_FRAME_PLAINTEXT);
    expect(
      codeOf(() => sealLinkFrame(env, key, LinkFrameKind.chunk, 1, new Uint8Array(MAX_LINK_FRAME_PLAINTEXT + 1))),
    ).toBe('usage');
    expect(codeOf(() => openLinkFrame(env, key, Uint8Array.of(...max, 0)))).toBe('decode');
  });

  it('the receiver accepts each index once and in order (state in, state out)', () => {
    const keys = { toNew: key, toExisting: otherKey };
    const f0 = sealLinkFrame(env, key, LinkFrameKind.chunk, 0, text);
    const f1 = sealLinkFrame(env, key, LinkFrameKind.chunk, 1, text);
    const s0 = INITIAL_LINK_RECEIVE_STATE;
    expect(codeOf(() => receiveLinkFrame(env, keys, 'new', s0, f1))).toBe('out-of-order');
    const { state: s1 } = receiveLinkFrame(env, keys, 'new', s0, f0);
    expect(s0.next).toBe(0);
    expect(codeOf(() => receiveLinkFrame(env, keys, 'new', s1, f0))).toBe('duplicate-message');
    const { state: s2, frame } = receiveLinkFrame(env, keys, 'new', s1, f1);
    expect(frame.index).toBe(1);
    expect(s2.next).toBe(2);
    expect(codeOf(() => receiveLinkFrame(env, keys, 'new', s2, f1))).toBe('duplicate-message');
  });

  it('the receiver refuses frames reflected back, and kinds sent the wrong way', () => {
    const keys = { toNew: key, toExisting: otherKey };
    const s0 = INITIAL_LINK_RECEIVE_STATE;
    // E's grant, copied by the server into the mailbox E reads: E opens it with K_N→E and fails.
    const grant = sealLinkFrame(env, keys.toNew, LinkFrameKind.grant, 0, text);
    expect(codeOf(() => receiveLinkFrame(env, keys, 'existing', s0, grant))).toBe('decrypt-failed');
    // A grant sealed under K_N→E (only N could): E refuses the kind, N's kinds only are accepted.
    const wrongWay = sealLinkFrame(env, keys.toExisting, LinkFrameKind.grant, 0, text);
    expect(codeOf(() => receiveLinkFrame(env, keys, 'existing', s0, wrongWay))).toBe('decode');
    const confirm = sealLinkFrame(env, keys.toExisting, LinkFrameKind.confirm, 0, text);
    expect(receiveLinkFrame(env, keys, 'existing', s0, confirm).frame.kind).toBe(LinkFrameKind.confirm);
    const confirmToNew = sealLinkFrame(env, keys.toNew, LinkFrameKind.confirm, 0, text);
    expect(codeOf(() => receiveLinkFrame(env, keys, 'new', s0, confirmToNew))).toBe('decode');
    for (const side of ['new', 'existing'] as const) {
      const k = side === 'new' ? keys.toNew : keys.toExisting;
      const abort = sealLinkFrame(env, k, LinkFrameKind.abort, 0, text);
      expect(receiveLinkFrame(env, keys, side, s0, abort).frame.kind).toBe(LinkFrameKind.abort);
    }
  });

  it('any single bit flip anywhere in a frame is refused with a ProtocolError', () => {
    const frame = sealLinkFrame(env, key, LinkFrameKind.grant, 5, text);
    fc.assert(
      fc.property(fc.nat({ max: frame.length * 8 - 1 }), (bit) => {
        const flipped = frame.slice();
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        let error: unknown;
        try {
          openLinkFrame(env, key, flipped);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ProtocolError);
        expect((error as ProtocolError).code).toMatch(/^(decode|decrypt-failed|unsupported-version)$/);
      }),
      { numRuns: 300 },
    );
  });
});
