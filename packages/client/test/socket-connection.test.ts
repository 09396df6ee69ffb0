/**
 * Requests on one WebSocket (net/socket-connection.ts): a reply frame that is lost costs one short
 * attempt, not the whole deadline — the request goes again under a new id and an answer to any of
 * its ids settles it, once. Fake timers: no real waiting, no timing assertions.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientError } from '../src/errors.ts';
import { ATTEMPT_MS, SocketConnection } from '../src/net/socket-connection.ts';
import type { ServerFrame } from '../src/net/socket-frames.ts';
import { type WebSocketLike, WS_OPEN } from '../src/net/websocket-like.ts';

const DEADLINE_MS = 15_000;

/** A socket that records what is sent and never answers by itself. */
function fakeSocket(): WebSocketLike & { sent: { id: number; type: string }[] } {
  const sent: { id: number; type: string }[] = [];
  return {
    readyState: WS_OPEN,
    binaryType: 'arraybuffer',
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    send(data: string | Uint8Array) {
      sent.push(JSON.parse(String(data)));
    },
    close() {},
    sent,
  };
}

function connection() {
  const ws = fakeSocket();
  const timeouts = { count: 0 };
  const conn = new SocketConnection(ws, 'http://127.0.0.1:1', () => {
    timeouts.count++;
  });
  conn.openedAt = 0;
  return { ws, conn, timeouts };
}

const acked = (id: number) => ({ type: 'acked', id }) as unknown as Exclude<ServerFrame, { type: 'message' | 'hello' }>;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a request whose answer is lost', () => {
  it('is sent again under a new id after a short attempt, and the second answer settles it', async () => {
    const { ws, conn, timeouts } = connection();
    const answer = conn.request({ type: 'ack', mailbox: 'AAAA', seqs: [1] } as never, 'acked', DEADLINE_MS);
    expect(ws.sent).toHaveLength(1);
    vi.advanceTimersByTime(ATTEMPT_MS); // the first answer never comes
    expect(ws.sent).toHaveLength(2);
    const [first, second] = ws.sent;
    expect(second?.id).not.toBe(first?.id);
    expect({ ...second, id: 0 }).toEqual({ ...first, id: 0 }); // the same request
    conn.settle(acked(second?.id as number));
    await expect(answer).resolves.toMatchObject({ type: 'acked' });
    // Settled: no more attempts, no dead-connection verdict, a late answer to the first id ignored.
    vi.advanceTimersByTime(DEADLINE_MS);
    expect(ws.sent).toHaveLength(2);
    expect(timeouts.count).toBe(0);
    conn.settle(acked(first?.id as number));
  });

  it('a late answer to an earlier attempt settles it as well, once', async () => {
    const { ws, conn } = connection();
    const answer = conn.request({ type: 'ack', mailbox: 'AAAA', seqs: [1] } as never, 'acked', DEADLINE_MS);
    vi.advanceTimersByTime(ATTEMPT_MS);
    conn.settle(acked(ws.sent[0]?.id as number));
    conn.settle(acked(ws.sent[1]?.id as number));
    await expect(answer).resolves.toMatchObject({ type: 'acked' });
  });

  it('attempts back off within the deadline; at the deadline it fails as unreachable once', async () => {
    const { ws, conn, timeouts } = connection();
    const answer = conn.request({ type: 'ack', mailbox: 'AAAA', seqs: [1] } as never, 'acked', DEADLINE_MS);
    const outcome = answer.then(
      () => 'resolved',
      (e: unknown) => (e instanceof ClientError ? e.code : 'other'),
    );
    vi.advanceTimersByTime(DEADLINE_MS);
    // Waits of 2, 4, 8 s: attempts at 0, 2, 6 and 14 s (the last with what is left of 15 s).
    expect(ws.sent).toHaveLength(4);
    await expect(outcome).resolves.toBe('server-unreachable');
    expect(timeouts.count).toBe(1);
  });

  it('a challenge is never sent twice (the proof signs the one the server issued)', () => {
    const { ws, conn } = connection();
    void conn.request({ type: 'challenge' } as never, 'challenge', DEADLINE_MS).catch(() => undefined);
    vi.advanceTimersByTime(DEADLINE_MS);
    expect(ws.sent).toHaveLength(1);
  });

  it('kill rejects a request sent several times once, and forgets all its ids', async () => {
    const { ws, conn } = connection();
    const answer = conn.request({ type: 'ack', mailbox: 'AAAA', seqs: [1] } as never, 'acked', DEADLINE_MS);
    const rejected = vi.fn();
    answer.catch(rejected);
    vi.advanceTimersByTime(ATTEMPT_MS);
    conn.kill();
    await vi.runAllTimersAsync();
    expect(rejected).toHaveBeenCalledTimes(1);
    expect(ws.sent).toHaveLength(2);
  });
});
