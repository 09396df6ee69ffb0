/**
 * The bare relay for bench:server, in a process of its own as the Parley server is: a minimal
 * `ws` server that forwards each frame to client i and answers it, with no authentication and no
 * storage — the ceiling for Node on this machine. In the framing the Parley run uses: a binary
 * frame `u32 i ‖ payload` answered by the one byte 0x81, or a JSON `{"to":i,…}` answered by
 * `{"type":"sent"}`.
 * Prints "listening on <port>" once it accepts connections; stops on SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096 });
const sockets: WebSocket[] = [];
const SENT = Buffer.of(0x81);
wss.on('connection', (ws, req) => {
  const me = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('i'));
  sockets[me] = ws;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      const frame = data as Buffer;
      sockets[frame.readUInt32BE(0)]?.send(frame);
      ws.send(SENT);
      return;
    }
    const to = Number(JSON.parse(data.toString()).to);
    sockets[to]?.send(data);
    ws.send('{"type":"sent"}');
  });
  ws.on('error', () => ws.terminate());
});
wss.on('listening', () => process.stdout.write(`listening on ${(wss.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
