/**
 * `parley chat` when the server stops answering (issue: a lost reply froze the chat for 15 s):
 * a loopback proxy between the CLI and the server withholds every answer while the user types;
 * the typed line stays on screen as "sending", /quit leaves at once, and the line, stored before
 * it left, goes out once the server answers again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Home, texts, useTestServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killTmux, promptLine, Terminal, tmuxAvailable } from './terminal.ts';

/** A TCP proxy on loopback that can hold back what the server sends (kept in order, released later). */
class WithholdingProxy {
  private holding = false;
  private held: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  url = '';

  async start(target: string): Promise<void> {
    const { port } = new URL(target);
    this.server = createServer((client) => {
      const upstream = createConnection(Number(port), '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d: Buffer) => {
        if (this.holding) this.held.push(() => client.write(d));
        else client.write(d);
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const f of this.held.splice(0)) f();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

const server = useTestServer();
const proxy = new WithholdingProxy();
let dana: Home;
let eli: Home;

beforeAll(async () => {
  await proxy.start(server.url);
  [dana, eli] = await Promise.all([Home.create(proxy.url, 'Dana'), Home.create(proxy.url, 'Eli')]);
  const { invitation } = await dana.json('invite');
  await eli.json('connect', invitation.link);
  await dana.json('receive');
  await eli.json('receive');
}, 90_000);

afterAll(async () => {
  killTmux();
  proxy.release();
  await proxy.stop();
  dana?.remove();
  eli?.remove();
});

describe('parley chat with a server that does not answer', () => {
  it('keeps the typed line on screen as sending, quits at once, and the line goes out later', async () => {
    if (!tmuxAvailable()) throw new Error('tmux is not installed: this test drives `parley chat` in tmux.');
    const term = new Terminal(dana, ['chat', 'Eli']);
    await term.waitFor((s) => promptLine(s) === '>', 'the prompt');

    proxy.hold(); // from now on, nothing the server says reaches the chat
    term.keys('are you there?', 'Enter');
    await term.waitFor((s) => /You: are you there\? {2}… sending/.test(s), 'the typed line, pending', 5000);
    term.keys('more to say', 'Enter'); // queued behind the first, shown at once too
    await term.waitFor((s) => /You: more to say {2}… sending/.test(s), 'the second line, pending', 5000);

    // /quit is not queued behind the stalled send: the chat ends while the server still says nothing
    // (the wait is shorter than the 15 s request deadline the old chat sat out).
    term.keys('/quit', 'Enter');
    expect(await term.ended(8000)).toBe(0);
    const screen = term.screen();
    expect(screen).toContain('are you there?');
    expect(screen).toContain('more to say');

    // The server answers again: what was stored before the quit goes out with the next command.
    proxy.release();
    await dana.json('receive');
    const got = texts(await eli.json('receive'));
    expect(screen).toContain('still on the way');
    // The first line was stored before the quit; the second may have been (never out of order).
    expect(got[0]).toBe('are you there?');
    expect(got).toEqual(['are you there?', 'more to say'].slice(0, got.length));
  }, 120_000);
});
