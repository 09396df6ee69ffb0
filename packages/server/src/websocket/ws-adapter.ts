/**
 * The WebSocket transport: `ws` on the HTTP server's upgrade of `GET /v1/ws`, each socket served
 * by a {@link Connection} (connection.ts), which this adapter feeds frames and gives a sink.
 * What is about the socket itself lives here: the frame size limit, pings (a half-open
 * connection is closed within two intervals), and corking — frames to one connection that are
 * sent in the same turn of the event loop (a group commit answers many sends at once) are
 * written together: the socket is corked until the turn's microtasks are done, so they cost one
 * system call instead of one each.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_SOCKET_FRAME_BYTES, SOCKET_PATH } from '@parley/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ApiDeps } from '../api-deps.ts';
import type { Logger } from '../logger.ts';
import { Connection, type ConnectionSink, connectionContext } from './connection.ts';

export const WS_PATH = SOCKET_PATH;
/** How often a connection is pinged by default; a ping still unanswered at the next one closes it. */
const PING_INTERVAL_MS = 30_000;

export interface WebSocketHandle {
  /** Closes every connection (going away) and stops accepting new ones. */
  close(): void;
}

export interface WebSocketOptions {
  /** Ping interval (default 30 s): a half-open connection is closed within two of them. */
  readonly pingIntervalMs?: number;
}

/** A sink over a `ws` socket; `socket` is the connection under it, corked to batch writes. */
function socketSink(ws: WebSocket, socket: Duplex): ConnectionSink {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return {
    get open() {
      return ws.readyState === ws.OPEN;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(data) {
      if (!corked) {
        // Until this turn's callbacks and microtasks are done: whatever else is sent to this
        // connection meanwhile goes out in the same write.
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      ws.send(data);
    },
    close: (code, reason) => ws.close(code, reason),
  };
}

export function attachWebSocket(
  server: Server,
  deps: ApiDeps,
  log: Logger,
  options: WebSocketOptions = {},
): WebSocketHandle {
  const pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS;
  const cx = connectionContext(deps, log);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_FRAME_BYTES });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, socket));
  });

  function serve(ws: WebSocket, socket: Duplex): void {
    const connection = new Connection(cx, socketSink(ws, socket));
    let alive = true;
    ws.on('message', (data, isBinary) => {
      connection.receive(isBinary ? data : data.toString(), isBinary);
    });
    ws.on('pong', () => {
      alive = true;
    });
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, pingIntervalMs);
    ping.unref();
    ws.on('close', () => {
      clearInterval(ping);
      connection.closed();
    });
    ws.on('error', () => ws.terminate());
  }

  return {
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      wss.close();
    },
  };
}
