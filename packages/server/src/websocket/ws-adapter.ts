/**
 * The WebSocket transport: `ws` on the HTTP server's upgrade of `GET /v1/ws`, each socket served
 * by a {@link Connection} (connection.ts), which this adapter feeds frames and gives a sink.
 * What is about the socket itself lives here: the frame size limit, pings (a half-open
 * connection is closed within two intervals), and corking — frames to one connection that are
 * sent in the same turn of the event loop (a group commit answers many sends at once) are
 * written together: the socket is corked until the turn's microtasks are done, so they cost one
 * system call instead of one each. Reading is paused when the connection asks for backpressure
 * and resumed when the socket drains; and a source (client-address.ts: an address, an IPv6 /64)
 * holds a bounded number of connections at once, so the per-connection limits bound it too.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_SOCKET_FRAME_BYTES, SOCKET_PATH } from '@parley/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ApiDeps } from '../api-deps.ts';
import { SourceResolver } from '../client-address.ts';
import type { Logger } from '../logger.ts';
import { RecentMap } from '../recent-map.ts';
import { Connection, type ConnectionSink, connectionContext } from './connection.ts';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, TokenBucket } from './frame-budget.ts';

export const WS_PATH = SOCKET_PATH;
/** How often a connection is pinged by default; a ping still unanswered at the next one closes it. */
const PING_INTERVAL_MS = 30_000;
/** Connections one source may hold open at once by default. */
export const MAX_CONNECTIONS_PER_SOURCE = 32;

/** The close code of a server that stops: "service restart" (RFC 6455 §7.4 registry), reconnect elsewhere. */
export const CLOSE_SERVICE_RESTART = 1012;

export interface WebSocketHandle {
  /**
   * Stops accepting connections and closes every one with 1012 "service restart" (a client
   * reconnects, through the load balancer to another process); resolves once the frames being
   * handled have been (a send being stored is committed, though its answer is not sent).
   */
  close(): Promise<void>;
}

export interface WebSocketOptions {
  /** Ping interval (default 30 s): a half-open connection is closed within two of them. */
  readonly pingIntervalMs?: number;
  /** Each connection's limits (frame-budget.ts). */
  readonly limits?: ConnectionLimits;
  /** Connections one source may hold open at once (default {@link MAX_CONNECTIONS_PER_SOURCE}). */
  readonly maxConnectionsPerSource?: number;
  /** Who a connection comes from (default: its peer address, IPv6 by /64). */
  readonly sources?: SourceResolver;
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
    pause: () => ws.pause(),
    resume: () => ws.resume(),
  };
}

export function attachWebSocket(
  server: Server,
  deps: ApiDeps,
  log: Logger,
  options: WebSocketOptions = {},
): WebSocketHandle {
  const pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS;
  const cx = connectionContext(deps, log, options.limits ?? DEFAULT_CONNECTION_LIMITS);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_FRAME_BYTES });
  const sources = options.sources ?? new SourceResolver();
  const perSource = options.maxConnectionsPerSource ?? MAX_CONNECTIONS_PER_SOURCE;
  deps.metrics?.limits.set({ limit: 'websocket-connections', bound: 'per_source' }, perSource);
  deps.metrics?.limits.set({ limit: 'websocket-control', bound: 'per_minute' }, cx.limits.controlPerSecond * 60);
  deps.metrics?.limits.set({ limit: 'websocket-control', bound: 'burst' }, cx.limits.controlBurst);
  /** Open connections by source. */
  const open = new Map<string, number>();
  /** Control frames by source, across its connections: a flooder that reconnects starts no fresh bucket. */
  const control = new RecentMap<TokenBucket>(100_000);
  const controlOf = (source: string): TokenBucket => {
    let bucket = control.get(source);
    if (bucket === undefined) {
      bucket = new TokenBucket(cx.limits.controlBurst, cx.limits.controlPerSecond);
      control.set(source, bucket);
    }
    return bucket;
  };

  /** Closing: upgrades that arrive now are refused (the load balancer tries another process). */
  let draining = false;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (draining) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH) {
      socket.destroy();
      return;
    }
    const forwarded = req.headers['x-forwarded-for'];
    const source = sources.source(req.socket.remoteAddress, Array.isArray(forwarded) ? forwarded.join(',') : forwarded);
    const count = open.get(source) ?? 0;
    if (count >= perSource) {
      deps.metrics?.limited.inc({ limit: 'websocket-connections' });
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    open.set(source, count + 1);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      const left = (open.get(source) ?? 1) - 1;
      if (left === 0) open.delete(source);
      else open.set(source, left);
    };
    socket.once('close', release);
    const bucket = controlOf(source);
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, socket, () => bucket.take()));
  });

  /** Frames being handled, across connections: close() waits for them. */
  const inFlight = new Set<Promise<void>>();

  function serve(ws: WebSocket, socket: Duplex, paced: () => boolean): void {
    const connection = new Connection(cx, socketSink(ws, socket), paced);
    socket.on('drain', () => connection.drained());
    let alive = true;
    ws.on('message', (data, isBinary) => {
      const handled = connection.receive(isBinary ? data : data.toString(), isBinary);
      if (handled !== undefined) {
        inFlight.add(handled);
        void handled.finally(() => inFlight.delete(handled));
      }
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
    async close() {
      draining = true;
      for (const ws of wss.clients) ws.close(CLOSE_SERVICE_RESTART, 'service restart');
      wss.close();
      await Promise.allSettled([...inFlight]);
    },
  };
}
