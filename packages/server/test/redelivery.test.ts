/**
 * A delivery the owner acknowledged, delivered again with the same bytes (issue 16 item 2): the
 * server recognises it until the original's retention ends — answered as a duplicate (200, the
 * original seq), stored nowhere and pushed to nobody.
 */
import { utf8 } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { Connection, type ConnectionSink, connectionContext } from '../src/websocket/connection.ts';
import { newMailbox, sendDelivery, type TestServer, testServer } from './api-kit.ts';

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(async () => {
  await server.close();
});

/** Messages written to a connection subscribed to nothing: pushes counted through the events bus. */
function countPushes(box: { idBytes: Uint8Array }): { pushed: number; stop(): void } {
  const counter = { pushed: 0, stop: () => {} };
  counter.stop = server.deps.events.subscribe(box.idBytes, () => {
    counter.pushed++;
  });
  return counter;
}

describe('redelivery of an acknowledged envelope', () => {
  it('is answered as the duplicate it is: not stored, not pushed', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    const envelope = utf8('read once');
    const first = await sendDelivery(app, box, envelope);
    expect(first.status).toBe(201);
    const { seq } = (await first.json()) as { seq: number };
    expect(await server.deps.mailboxes.ack(box.idBytes, [seq])).toBe(1);

    const pushes = countPushes(box);
    const again = await sendDelivery(app, box, envelope);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ seq });
    expect(await server.deps.mailboxes.fetch(box.idBytes, { afterSeq: 0, limit: 10 })).toEqual([]);
    expect(pushes.pushed).toBe(0);

    // Other bytes are still new.
    expect((await sendDelivery(app, box, utf8('another'))).status).toBe(201);
    expect(pushes.pushed).toBe(1);
    pushes.stop();
  });

  it('is recognised over the WebSocket too, and only in the mailbox it was acknowledged in', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    const other = await newMailbox(app);
    const envelope = utf8('same bytes, two mailboxes');
    const first = await sendDelivery(app, box, envelope);
    const { seq } = (await first.json()) as { seq: number };
    await server.deps.mailboxes.ack(box.idBytes, [seq]);
    expect((await sendDelivery(app, other, envelope)).status).toBe(201);

    const sent: string[] = [];
    const sink: ConnectionSink = {
      open: true,
      bufferedAmount: 0,
      send: (d) => {
        if (typeof d === 'string') sent.push(d);
      },
      close: () => {},
    };
    const conn = new Connection(connectionContext(server.deps, createLogger({ level: 'silent' })), sink);
    const { signDelivery, defaultEnv } = await import('@parley/protocol');
    const { toB64url } = await import('../src/wire-json.ts');
    const signature = signDelivery(defaultEnv, box.sender.privateKey, box.idBytes, envelope);
    const frame = {
      type: 'send',
      id: 3,
      mailbox: box.id,
      envelope: toB64url(envelope),
      signature: toB64url(signature),
    };
    await conn.receive(JSON.stringify(frame), false);
    expect(JSON.parse(sent.at(-1) as string)).toEqual({ type: 'sent', id: 3, seq });
    expect(await server.deps.mailboxes.fetch(box.idBytes, { afterSeq: 0, limit: 10 })).toEqual([]);
    conn.closed();
  });

  it('is recognised after an acknowledgement of many seqs at once', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    const envelopes = [utf8('one'), utf8('two'), utf8('three')];
    const seqs: number[] = [];
    for (const e of envelopes) seqs.push(((await (await sendDelivery(app, box, e)).json()) as { seq: number }).seq);
    expect(await server.deps.mailboxes.ack(box.idBytes, seqs)).toBe(3);
    for (const [i, e] of envelopes.entries()) {
      const again = await sendDelivery(app, box, e);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ seq: seqs[i] });
    }
    expect(await server.deps.mailboxes.fetch(box.idBytes, { afterSeq: 0, limit: 10 })).toEqual([]);
  });
});
