/**
 * `MailboxSocket` against a real `parley-server` process: pushes in order, acknowledgements,
 * sends (one sending proof per mailbox and connection), one-at-a-time handling, and reconnection
 * when the server restarts; binary frames where the server's hello lists them. Fake servers (the
 * `ws` package) play hostile or unusual peers: malformed frames, a refused authorisation, a
 * connection that dies mid-request, servers from before binary frames and from before the hello.
 */
import {
  base64url,
  deviceId,
  defaultEnv as env,
  errorFrame,
  generateEd25519,
  generateIdentity,
  SOCKET_API_VERSION,
  utf8,
} from '@parley/protocol';
import { useTestServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { ClientError } from '../src/errors.ts';
import {
  Backoff,
  type DeviceAuth,
  MailboxSocket,
  type MailboxSocketOptions,
  type OwnedMailbox,
  type PushedMessage,
  ServerApi,
  type SocketState,
} from '../src/net/index.ts';
import { parseServerFrame } from '../src/net/socket-frames.ts';
import { NodeWebSocket } from '../src/platform/node/node-websocket.ts';
import { failureOf, ofType, recording } from './client-kit.ts';

const server = useTestServer();
let api: ServerApi;
let auth: DeviceAuth;
const sockets: MailboxSocket[] = [];

beforeAll(async () => {
  api = new ServerApi(server.url);
  const keys = generateEd25519(env);
  const { accountId } = await api.register(generateIdentity(env), deviceId(1), keys);
  auth = { account: accountId, device: deviceId(1), devicePrivateKey: keys.privateKey };
}, 60_000);
afterAll(() => {
  for (const s of sockets) s.close();
});

interface Box {
  readonly owned: OwnedMailbox;
  readonly senderKey: Uint8Array;
  deliver(text: string): Promise<number>;
}

async function newBox(): Promise<Box> {
  const sender = generateEd25519(env);
  const recipient = generateEd25519(env);
  const id = await api.createMailbox(auth, recipient.publicKey, sender.publicKey);
  return {
    owned: { id, recipientPrivateKey: recipient.privateKey },
    senderKey: sender.privateKey,
    deliver: async (text) => (await api.deliver(id, sender.privateKey, utf8(text))).seq,
  };
}

const text = (m: PushedMessage) => new TextDecoder().decode(m.envelope);

interface Recorded {
  readonly socket: MailboxSocket;
  readonly received: PushedMessage[];
  readonly errors: ClientError[];
  readonly states: SocketState[];
}

/** A socket to the test server that records what it sees; closed in afterAll. */
function open(options: Partial<MailboxSocketOptions> & { url?: string } = {}): Recorded {
  const received: PushedMessage[] = [];
  const errors: ClientError[] = [];
  const states: SocketState[] = [];
  const socket = new MailboxSocket(options.url ?? server.url, {
    onMessage: async (m) => {
      received.push(m);
    },
    onError: (e) => errors.push(e),
    onState: (s) => states.push(s),
    backoff: { initialMs: 50, maxMs: 400 },
    WebSocket: NodeWebSocket,
    ...options,
  });
  sockets.push(socket);
  return { socket, received, errors, states };
}

const eventually = <T>(f: () => T | Promise<T>, timeout = 10_000) => vi.waitFor(f, { timeout, interval: 20 });

/**
 * A fake `/v1/ws` server; `onFrame` answers each parsed JSON frame. It greets each connection
 * with a hello listing `features` (default: sending proofs but no binary frames), or with none
 * for `null` (a server from before the hello). Binary frames, which it does not understand, are
 * counted and refused as malformed, as such a server does.
 */
async function fakeServer(
  onFrame: (ws: WebSocket, frame: { type: string; id: number }) => void,
  features: string[] | null = ['authorize'],
) {
  const fake = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => fake.once('listening', resolve));
  let binaryFrames = 0;
  fake.on('connection', (ws) => {
    if (features !== null) ws.send(JSON.stringify({ type: 'hello', api: SOCKET_API_VERSION, features }));
    ws.on('message', (raw, isBinary) => {
      if (!isBinary) return onFrame(ws, JSON.parse(raw.toString()));
      binaryFrames++;
      ws.send(JSON.stringify(errorFrame(undefined, 'bad-request', 'frames are JSON text')));
    });
  });
  const { port } = fake.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get binaryFrames() {
      return binaryFrames;
    },
    close: async () => {
      for (const c of fake.clients) c.terminate();
      await new Promise((resolve) => fake.close(resolve));
    },
  };
}

const challengeFrame = (id: number) => JSON.stringify({ type: 'challenge', id, challenge: 'A'.repeat(43) });

describe('MailboxSocket', () => {
  it('pushes stored messages, then new ones, in order, and acknowledges what was handled', async () => {
    const box = await newBox();
    const seqs: number[] = [];
    for (const t of ['a', 'b', 'c']) seqs.push(await box.deliver(t));
    const { socket, received, errors, states } = open();
    socket.subscribe(box.owned);
    await socket.whenSubscribed();
    expect(socket.connected).toBe(true);
    await eventually(() => expect(received.map(text)).toEqual(['a', 'b', 'c']));
    seqs.push(await box.deliver('d'));
    seqs.push(await box.deliver('e'));
    await eventually(() => expect(received.map(text)).toEqual(['a', 'b', 'c', 'd', 'e']));
    expect(received.map((m) => m.seq)).toEqual(seqs);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(received.every((m) => m.receivedAt > 0)).toBe(true);
    expect(received[0]?.mailboxId).toEqual(box.owned.id);
    // Handled messages are acknowledged, so the server no longer holds them.
    await eventually(async () => expect(await api.readMailbox(box.owned)).toEqual([]));
    expect(errors).toEqual([]);
    expect(states).toEqual(['online']);
  });

  it('does not acknowledge a message whose handler failed; ack() deletes it', async () => {
    const box = await newBox();
    const seq = await box.deliver('refused');
    const failure = new ClientError('bad-message', 'A peer sent bytes that do not parse.');
    const { socket, errors } = open({ onMessage: () => Promise.reject(failure) });
    socket.subscribe(box.owned);
    await eventually(() => expect(errors).toEqual([failure]));
    expect((await api.readMailbox(box.owned)).map((m) => m.seq)).toEqual([seq]);
    expect(await socket.ack(box.owned.id, [seq])).toBe(1);
    expect(await api.readMailbox(box.owned)).toEqual([]);
    expect(await socket.ack(box.owned.id, [seq])).toBe(0);
    const stranger = await failureOf(socket.ack(new Uint8Array(16), [1]));
    expect(stranger.code).toBe('usage');
  });

  it('sends over the socket, idempotently, and maps server errors', async () => {
    const box = await newBox();
    const writer = open();
    // A second copy of a stored (not yet acknowledged) envelope is the same message.
    const { seq } = await writer.socket.send(box.owned.id, box.senderKey, utf8('over the socket'));
    expect(await writer.socket.send(box.owned.id, box.senderKey, utf8('over the socket'))).toEqual({ seq });
    const reader = open();
    reader.socket.subscribe(box.owned);
    await eventually(() => expect(reader.received.map(text)).toEqual(['over the socket']));
    const live = await writer.socket.send(box.owned.id, box.senderKey, utf8('live'));
    await eventually(() => expect(reader.received.map((m) => m.seq)).toEqual([seq, live.seq]));

    const forged = await failureOf(writer.socket.send(box.owned.id, generateEd25519(env).privateKey, utf8('x')));
    expect(forged).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
    const unknown = await failureOf(writer.socket.send(env.random(16), box.senderKey, utf8('x')));
    expect(unknown).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
    expect((await failureOf(writer.socket.send(box.owned.id, box.senderKey, new Uint8Array(65 * 1024)))).code).toBe(
      'usage',
    );
    expect(writer.errors).toEqual([]);
  });

  it('proves the sender key once per connection: concurrent and later sends go unsigned, a new connection proves again', async () => {
    const box = await newBox();
    const rec = recording();
    const { socket, states } = open({ WebSocket: rec.WebSocket });
    await socket.whenSubscribed();
    const racing = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => socket.send(box.owned.id, box.senderKey, utf8(`r${i}`))),
    );
    for (const t of ['s1', 's2', 's3']) await socket.send(box.owned.id, box.senderKey, utf8(t));
    expect(ofType(rec.frames[0], 'authorize')).toHaveLength(1);
    expect(ofType(rec.frames[0], 'challenge')).toHaveLength(1);
    expect(ofType(rec.frames[0], 'send')).toHaveLength(8);
    expect(ofType(rec.frames[0], 'send').every((f) => f.signature === undefined)).toBe(true);
    expect(new Set(racing.map((r) => r.seq)).size).toBe(5);

    rec.sockets[0]?.close(); // the connection drops; the socket reconnects
    await eventually(() => expect(states).toEqual(['online', 'offline', 'online']));
    for (const t of ['n1', 'n2']) await socket.send(box.owned.id, box.senderKey, utf8(t));
    expect(rec.frames).toHaveLength(2);
    expect(ofType(rec.frames[1], 'authorize')).toHaveLength(1);
    expect(ofType(rec.frames[1], 'send').map((f) => f.signature)).toEqual([undefined, undefined]);
    expect(ofType(rec.frames[0], 'authorize')).toHaveLength(1); // nothing more on the old one
    const stored = await api.readMailbox(box.owned);
    expect(stored.map((m) => new TextDecoder().decode(m.envelope)).sort()).toEqual(
      ['n1', 'n2', 'r1', 'r2', 'r3', 'r4', 'r5', 's1', 's2', 's3'].sort(),
    );
  });

  it('signs where the server will not authorise: a wrong key or an unknown mailbox is refused as over HTTP', async () => {
    const box = await newBox();
    const rec = recording();
    const { socket, errors } = open({ WebSocket: rec.WebSocket });
    await socket.whenSubscribed();
    const wrongKey = generateEd25519(env).privateKey;
    const forged = await failureOf(socket.send(box.owned.id, wrongKey, utf8('x')));
    const overHttp = await failureOf(api.deliver(box.owned.id, wrongKey, utf8('x')));
    expect(forged).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
    expect(forged).toMatchObject({ code: overHttp.code, status: overHttp.status, serverCode: overHttp.serverCode });
    expect(rec.frames[0]?.map((f) => f.type)).toEqual(['challenge', 'authorize', 'send']);
    expect(ofType(rec.frames[0], 'send')[0]?.signature).toEqual(expect.any(String));
    const unknown = await failureOf(socket.send(env.random(16), box.senderKey, utf8('x')));
    expect(unknown).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
    // The right key after a wrong one: signed on this connection (the refusal stands for it), accepted.
    expect((await socket.send(box.owned.id, box.senderKey, utf8('right key'))).seq).toBeGreaterThan(0);
    expect(ofType(rec.frames[0], 'send').at(-1)?.signature).toEqual(expect.any(String));
    expect(errors).toEqual([]);
  });

  it('hands messages over one at a time, in arrival order', async () => {
    const box = await newBox();
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const { socket } = open({
      onMessage: async (m) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
        seen.push(m.seq);
        running--;
      },
    });
    for (let i = 0; i < 10; i++) await box.deliver(`stored ${i}`);
    socket.subscribe(box.owned);
    await socket.whenSubscribed();
    await Promise.all(Array.from({ length: 10 }, (_, i) => box.deliver(`live ${i}`)));
    await eventually(() => expect(seen).toHaveLength(20));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(most).toBe(1);
  });

  it('refuses a mailbox it cannot prove and drops it; ignores unsubscribed mailboxes', async () => {
    const box = await newBox();
    const other = await newBox();
    const refused: Uint8Array[] = [];
    const { socket, received } = open({ onError: (_e, id) => id && refused.push(id) });
    socket.subscribe({ id: box.owned.id, recipientPrivateKey: generateEd25519(env).privateKey });
    socket.subscribe(other.owned);
    await socket.whenSubscribed();
    expect(refused).toEqual([box.owned.id]);
    socket.unsubscribe(other.owned.id);
    await other.deliver('not for you any more');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toEqual([]);
  });

  it('reconnects after the server restarts: resubscribes, and unacknowledged messages come again', async () => {
    const box = await newBox();
    const quiet = await newBox();
    let refuseFirst = true;
    const handled: string[] = [];
    const { socket, errors, states } = open({
      onMessage: async (m) => {
        if (refuseFirst) {
          refuseFirst = false;
          throw new Error('not now');
        }
        handled.push(text(m));
      },
    });
    socket.subscribe(box.owned);
    socket.subscribe(quiet.owned);
    await socket.whenSubscribed();
    await box.deliver('before the restart');
    await eventually(() => expect(errors.map((e) => e.code)).toEqual(['internal']));
    expect(handled).toEqual([]);

    await server.restart();
    await eventually(() => expect(states).toEqual(['online', 'offline', 'online']), 30_000);
    await socket.whenSubscribed();
    await eventually(() => expect(handled).toEqual(['before the restart']));
    await box.deliver('after the restart');
    await quiet.deliver('the other mailbox too');
    await eventually(() =>
      expect(handled).toEqual(['before the restart', 'after the restart', 'the other mailbox too']),
    );
    await eventually(async () => expect(await api.readMailbox(box.owned)).toEqual([]));
  }, 60_000);

  it('fails requests with server-unreachable while the server is down, and works again after', async () => {
    const box = await newBox();
    const { socket, received } = open({ timeoutMs: 500 });
    socket.subscribe(box.owned);
    await socket.whenSubscribed();
    await server.pause();
    try {
      await eventually(() => expect(socket.connected).toBe(false));
      const e = await failureOf(socket.send(box.owned.id, box.senderKey, utf8('into the void')));
      expect(e.code).toBe('server-unreachable');
      expect(e.message).toBe(`Cannot reach the server at ${server.url}. Check the address and that it is running.`);
    } finally {
      await server.resume();
    }
    await socket.whenSubscribed();
    // A server just restarted may miss the short deadline on a loaded machine; a retried
    // delivery is the same delivery (the server deduplicates), as a client would retry it.
    await eventually(() => socket.send(box.owned.id, box.senderKey, utf8('back again')), 20_000);
    await eventually(() => expect(received.map(text)).toEqual(['back again']));
  }, 60_000);

  it('close() stops reconnecting and refuses further use', async () => {
    const { socket, states } = open();
    await socket.whenSubscribed();
    const waiting = socket.whenSubscribed();
    socket.close();
    await waiting; // already settled before close
    expect(socket.connected).toBe(false);
    expect(states).toEqual(['online', 'offline']);
    await server.restart();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(states).toEqual(['online', 'offline']);
    expect((await failureOf(socket.whenSubscribed())).code).toBe('usage');
    expect((await failureOf(socket.send(new Uint8Array(16), new Uint8Array(32), utf8('x')))).code).toBe('usage');
  }, 60_000);
});

describe("MailboxSocket and the server's features", () => {
  it('uses binary frames where the hello lists them: binary pushes, sends, acks and answers', async () => {
    const box = await newBox();
    await box.deliver('stored');
    const rec = recording();
    const { socket, received, errors } = open({ WebSocket: rec.WebSocket });
    socket.subscribe(box.owned);
    await socket.whenSubscribed();
    await eventually(() => expect(received.map(text)).toEqual(['stored']));
    const { seq } = await socket.send(box.owned.id, box.senderKey, utf8('sent in binary'));
    await eventually(() => expect(received.map(text)).toEqual(['stored', 'sent in binary']));
    expect(received[1]?.seq).toBe(seq);
    // Both handled, so both acknowledged (in binary), which deleted them.
    await eventually(async () => expect(await api.readMailbox(box.owned)).toEqual([]));
    expect(await socket.ack(box.owned.id, [seq])).toBe(0); // answered by a binary acked

    const sent = rec.frames[0] ?? [];
    expect(ofType(sent, 'subscribe')).toEqual([expect.objectContaining({ push: 'binary' })]);
    expect(ofType(sent, 'authorize')).toHaveLength(1);
    expect(ofType(sent, 'send')).toEqual([expect.objectContaining({ binary: true, id: expect.any(Number) })]);
    expect(ofType(sent, 'send')[0]?.signature).toBeUndefined();
    expect(ofType(sent, 'ack').length).toBeGreaterThanOrEqual(2);
    expect(ofType(sent, 'ack').every((f) => f.binary)).toBe(true);
    // The hello (text) first; then, in binary, two pushes, the sent and the acked answers.
    const kinds = rec.received[0] ?? [];
    expect(kinds[0]).toBe('text');
    expect(kinds.filter((k) => k === 'binary').length).toBeGreaterThanOrEqual(5);
    expect(socket.malformedFrames).toBe(0);
    expect(errors).toEqual([]);
  });

  /** A server that speaks JSON only, with sending proofs if `features` lists them. */
  const oldServer = (features: string[] | null) => {
    let seq = 0;
    const authorized = new Set<string>();
    return fakeServer((ws, frame) => {
      const f = frame as { type: string; id: number; mailbox?: string; signature?: string; seqs?: number[] };
      const reply = (answer: object) => ws.send(JSON.stringify(answer));
      // Such a server's frames are strict: an unknown type or field is a malformed frame (no id).
      const malformed = () => reply(errorFrame(undefined, 'bad-request', 'malformed frame'));
      if (f.type === 'challenge') ws.send(challengeFrame(f.id));
      else if (f.type === 'subscribe') {
        if ('push' in f) return malformed();
        reply({ type: 'subscribed', id: f.id, mailbox: f.mailbox });
        const envelope = base64url(utf8('pushed as JSON'));
        reply({ type: 'message', mailbox: f.mailbox, seq: 1, envelope, receivedAt: 1 });
      } else if (f.type === 'authorize' && features?.includes('authorize')) {
        authorized.add(String(f.mailbox));
        reply({ type: 'authorized', id: f.id, mailbox: f.mailbox });
      } else if (f.type === 'send') {
        if (f.signature === undefined && !authorized.has(String(f.mailbox)))
          reply(errorFrame(f.id, 'unauthorized', 'no such mailbox or wrong key'));
        else reply({ type: 'sent', id: f.id, seq: ++seq });
      } else if (f.type === 'ack') reply({ type: 'acked', id: f.id, deleted: f.seqs?.length ?? 0 });
      else malformed();
    }, features);
  };

  it.each([
    ['without a hello (before hellos): JSON frames, every send signed', null],
    ['whose hello lacks "binary": JSON frames, one sending proof', ['authorize']],
  ] as const)('against a server %s, without waiting for what it cannot answer', async (_name, features) => {
    const fake = await oldServer(features === null ? null : [...features]);
    try {
      const rec = recording();
      const box = await newBox(); // only its keys: the fake server stores nothing
      const { socket, received, errors } = open({ url: fake.url, WebSocket: rec.WebSocket });
      socket.subscribe(box.owned);
      await socket.whenSubscribed();
      await eventually(() => expect(received.map(text)).toEqual(['pushed as JSON']));
      const started = Date.now();
      expect(await socket.send(box.owned.id, box.senderKey, utf8('a'))).toEqual({ seq: 1 });
      expect(await socket.send(box.owned.id, box.senderKey, utf8('b'))).toEqual({ seq: 2 });
      expect(Date.now() - started).toBeLessThan(2_000); // not the 15 s deadline of an unanswered authorize
      await eventually(() => expect(ofType(rec.frames[0], 'ack')).toHaveLength(1));

      const sent = rec.frames[0] ?? [];
      expect(sent.some((f) => f.binary)).toBe(false);
      expect(fake.binaryFrames).toBe(0);
      expect(ofType(sent, 'subscribe')[0]?.push).toBeUndefined();
      const signed = ofType(sent, 'send').map((f) => typeof f.signature === 'string');
      if (features === null) {
        expect(ofType(sent, 'authorize')).toHaveLength(0);
        expect(signed).toEqual([true, true]);
      } else {
        expect(ofType(sent, 'authorize')).toHaveLength(1);
        expect(signed).toEqual([false, false]);
      }
      expect(rec.received[0]?.every((k) => k === 'text')).toBe(true);
      expect(errors).toEqual([]);
      socket.close();
    } finally {
      await fake.close();
    }
  });

  it('against a server without a hello, signs a first send made before any frame has come', async () => {
    const fake = await oldServer(null);
    try {
      const rec = recording();
      const box = await newBox();
      const { socket, errors } = open({ url: fake.url, WebSocket: rec.WebSocket });
      // No subscription: the send's challenge is the connection's first request, made before the
      // server has said anything, so its answer is what shows there is no hello.
      expect(await socket.send(box.owned.id, box.senderKey, utf8('first'))).toEqual({ seq: 1 });
      const sent = rec.frames[0] ?? [];
      expect(ofType(sent, 'challenge')).toHaveLength(1);
      expect(ofType(sent, 'authorize')).toHaveLength(0);
      expect(ofType(sent, 'send').map((f) => typeof f.signature)).toEqual(['string']);
      expect(errors).toEqual([]);
      socket.close();
    } finally {
      await fake.close();
    }
  });
});

describe('MailboxSocket against a hostile server', () => {
  it('counts and reports malformed frames without throwing, and keeps the connection', async () => {
    const fake = await fakeServer((ws, frame) => {
      if (frame.type === 'challenge') ws.send(challengeFrame(frame.id));
      // Authorised, but for another mailbox: not an authorisation of this one, so the send is signed.
      if (frame.type === 'authorize')
        ws.send(JSON.stringify({ type: 'authorized', id: frame.id, mailbox: `${'A'.repeat(21)}Q` }));
      if (frame.type === 'send') {
        ws.send('not json');
        ws.send(JSON.stringify({ type: 'message', mailbox: 'AAAA', seq: 1 }));
        ws.send(Buffer.from([1, 2, 3]));
        ws.send(JSON.stringify({ type: 'sent', id: 999_999, seq: 1 })); // no such request: ignored
        ws.send(JSON.stringify({ type: 'acked', id: frame.id, deleted: 0 })); // wrong answer type
      }
    });
    try {
      const rec = recording();
      const { socket, errors } = open({ url: fake.url, WebSocket: rec.WebSocket });
      await socket.whenSubscribed();
      const e = await failureOf(socket.send(new Uint8Array(16), generateEd25519(env).privateKey, utf8('x')));
      expect(e.code).toBe('server-error');
      expect(ofType(rec.frames[0], 'send')[0]?.signature).toEqual(expect.any(String));
      expect(socket.malformedFrames).toBe(3);
      expect(errors.map((x) => x.code)).toEqual(['server-error', 'server-error', 'server-error']);
      expect(socket.connected).toBe(true);
      socket.close();
    } finally {
      await fake.close();
    }
  });

  it('signs every send into a mailbox the server would not authorise on this connection (rate-limited)', async () => {
    let seq = 0;
    const fake = await fakeServer((ws, frame) => {
      const f = frame as { type: string; id: number; signature?: string };
      if (f.type === 'challenge') ws.send(challengeFrame(f.id));
      if (f.type === 'authorize') ws.send(JSON.stringify(errorFrame(f.id, 'rate-limited', 'too many mailboxes')));
      if (f.type === 'send') {
        const answer =
          f.signature === undefined
            ? errorFrame(f.id, 'unauthorized', 'no such mailbox or wrong key')
            : { type: 'sent', id: f.id, seq: ++seq };
        ws.send(JSON.stringify(answer));
      }
    });
    try {
      const rec = recording();
      const { socket, errors } = open({ url: fake.url, WebSocket: rec.WebSocket });
      await socket.whenSubscribed();
      const mailbox = env.random(16);
      const key = generateEd25519(env).privateKey;
      expect(await Promise.all([socket.send(mailbox, key, utf8('a')), socket.send(mailbox, key, utf8('b'))])).toEqual([
        { seq: 1 },
        { seq: 2 },
      ]);
      expect(await socket.send(mailbox, key, utf8('c'))).toEqual({ seq: 3 });
      expect(ofType(rec.frames[0], 'authorize')).toHaveLength(1); // asked once, not on every send
      expect(ofType(rec.frames[0], 'send').every((f) => typeof f.signature === 'string')).toBe(true);
      expect(errors).toEqual([]);
      socket.close();
    } finally {
      await fake.close();
    }
  });

  it('parses an authorised answer strictly', () => {
    const mailbox = 'A'.repeat(22); // 16 bytes
    expect(parseServerFrame(JSON.stringify({ type: 'authorized', id: 3, mailbox }))).toEqual({
      type: 'authorized',
      id: 3,
      mailbox: new Uint8Array(16),
    });
    for (const bad of [
      { type: 'authorized', id: 3 },
      { type: 'authorized', id: 3, mailbox: 'A'.repeat(21) },
      { type: 'authorized', id: 3, mailbox: 'B'.repeat(22) }, // non-zero trailing bits: not canonical
      { type: 'authorized', id: 3, mailbox: `${'A'.repeat(22)}==` },
      { type: 'authorized', id: '3', mailbox },
      { type: 'authorized', id: 3.5, mailbox },
      { type: 'authorized', id: 3, mailbox: 16 },
    ]) {
      expect(parseServerFrame(JSON.stringify(bad))).toBeNull();
    }
  });
});

describe('MailboxSocket when the connection drops', () => {
  it('fails the requests in flight at once with server-unreachable, then reconnects', async () => {
    const fake = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => fake.once('listening', resolve));
    fake.on('connection', (ws) => {
      ws.on('message', () => ws.terminate()); // dies mid-request
    });
    try {
      const { port } = fake.address() as { port: number };
      const { socket, states } = open({ url: `http://127.0.0.1:${port}` });
      await socket.whenSubscribed();
      const started = Date.now();
      const e = await failureOf(socket.send(new Uint8Array(16), generateEd25519(env).privateKey, utf8('x')));
      expect(e.code).toBe('server-unreachable');
      expect(Date.now() - started).toBeLessThan(5_000); // not the 15 s deadline
      await eventually(() => expect(states).toEqual(['online', 'offline', 'online']));
      socket.close();
    } finally {
      for (const c of fake.clients) c.terminate();
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});

describe('Backoff', () => {
  it('draws full jitter under a cap that doubles up to 30 s, and resets after a connection that lived > 10 s', () => {
    const b = new Backoff({}, () => 0.999999);
    const delays = Array.from({ length: 10 }, () => b.next());
    expect(delays).toEqual([249, 499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
    b.ended(5_000);
    expect(b.next()).toBe(29999);
    b.ended(10_001);
    expect(b.next()).toBe(249);
    expect(new Backoff({}, () => 0).next()).toBe(0);
  });
});
