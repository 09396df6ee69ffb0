/**
 * The bare relay for bench:server, in a process of its own as the Parley server is: a minimal
 * `ws` server that forwards each `{"to":i,…}` frame to client i and answers `{"type":"sent"}`,
 * with no authentication and no storage — the ceiling for Node on this machine.
 * Prints "listening on <port>" once it accepts connections; stops on SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096 });
const sockets: WebSocket[] = [];
wss.on('connection', (ws, req) => {
  const me = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('i'));
  sockets[me] = ws;
  ws.on('message', (data) => {
    const to = Number(JSON.parse(data.toString()).to);
    sockets[to]?.send(data);
    ws.send('{"type":"sent"}');
  });
  ws.on('error', () => ws.terminate());
});
wss.on('listening', () => process.stdout.write(`listening on ${(wss.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
