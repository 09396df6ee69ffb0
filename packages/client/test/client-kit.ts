/**
 * Helpers for SDK tests: clients on in-memory stores against a running server, and a
 * WebSocket that records the frames it sends.
 */
import { base64url, decodeClientFrame } from '@parley/protocol';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { ParleyClient } from '../src/client.ts';
import { ClientError } from '../src/errors.ts';
import type { WebSocketConstructor } from '../src/net/websocket-like.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { MemoryRecordStore } from '../src/store/memory.ts';
import type { ListOptions, RecordStore, RecordWrite } from '../src/store/record-store.ts';

/**
 * A memory store whose close() keeps the data, so a test can reopen a "restarted" client, and
 * which can be snapshotted and restored (an old backup).
 */
export class KeptStore implements RecordStore {
  private inner = new MemoryRecordStore();
  private readonly kinds = new Set<string>();
  get(kind: string, id: string) {
    return this.inner.get(kind, id);
  }
  list(kind: string, options?: ListOptions) {
    return this.inner.list(kind, options);
  }
  commit(writes: readonly RecordWrite[]) {
    for (const w of writes) this.kinds.add(w.kind);
    return this.inner.commit(writes);
  }
  async close(): Promise<void> {}
  async snapshot(): Promise<RecordWrite[]> {
    const out: RecordWrite[] = [];
    for (const kind of this.kinds) {
      for (const r of await this.inner.list(kind)) out.push({ kind, id: r.id, value: r.value });
    }
    return out;
  }
  async restore(snapshot: readonly RecordWrite[]): Promise<void> {
    this.inner = new MemoryRecordStore();
    await this.inner.commit(snapshot);
  }
}

export async function newClient(server: string, displayName: string, store: RecordStore = new KeptStore()) {
  return ParleyClient.create(store, nodeClientOptions(displayName.toLowerCase()), { server, displayName });
}

export async function reopen(store: RecordStore, profile: string) {
  return ParleyClient.open(store, nodeClientOptions(profile));
}

/** Alice invites Bob; both sync until connected. Returns the contact names each side sees. */
export async function meet(alice: ParleyClient, bob: ParleyClient): Promise<void> {
  const { link } = await alice.createInvitation();
  await bob.connect(link);
  await alice.sync();
  await bob.sync();
}

/** Messages texts received by `c` (taking them from the inbox). */
export async function received(c: ParleyClient): Promise<string[]> {
  await c.sync();
  return (await c.unread({ take: true })).map((m) => m.text);
}

/** Resolves with the ClientError `p` rejects with (fails the test if it resolves or throws another). */
export async function failureOf(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ClientError);
    return e as ClientError;
  }
  throw new Error('expected a rejection');
}

export interface Sent {
  readonly type: string;
  readonly signature?: string;
  /** A binary frame (send or ack), recorded in the shape of its JSON form. */
  readonly binary?: true;
  readonly push?: string;
}

/** A frame as recorded: JSON as sent; a binary one decoded, byte strings in base64url. */
function sentOf(data: string | Uint8Array): Sent {
  if (typeof data === 'string') return JSON.parse(data) as Sent;
  const f: Record<string, unknown> = { binary: true };
  for (const [k, v] of Object.entries(decodeClientFrame(data)))
    if (v !== undefined) f[k] = v instanceof Uint8Array ? base64url(v) : v;
  return f as unknown as Sent;
}

/**
 * A WebSocket that records the frames each connection sends (`frames[n]`: the n-th connection's)
 * and whether each frame it received was binary (`received[n]`).
 */
export function recording(): {
  WebSocket: WebSocketConstructor;
  frames: Sent[][];
  received: ('text' | 'binary')[][];
  sockets: WebSocket[];
} {
  const frames: Sent[][] = [];
  const received: ('text' | 'binary')[][] = [];
  const sockets: WebSocket[] = [];
  class Recording extends WebSocket {
    private readonly mine: Sent[] = [];
    constructor(url: string) {
      super(url);
      frames.push(this.mine);
      const kinds: ('text' | 'binary')[] = [];
      received.push(kinds);
      this.on('message', (_data, isBinary) => kinds.push(isBinary ? 'binary' : 'text'));
      sockets.push(this);
    }
    override send(data: string | Uint8Array): void {
      this.mine.push(sentOf(data));
      super.send(data);
    }
  }
  return { WebSocket: Recording, frames, received, sockets };
}

/** The frames of one type that a connection sent. */
export const ofType = (frames: readonly Sent[] | undefined, type: string) =>
  (frames ?? []).filter((f) => f.type === type);
