/**
 * One home server from its dependencies — the same wiring for the `parley-server` binary
 * (main.ts) and the tests (test/api-kit.ts): {@link serverApi} puts the stores over a database,
 * {@link createServer} serves them — the HTTP app (fetch-style: `app.request()` needs no socket),
 * the WebSocket on the same port once it listens, and the periodic purge of expired rows.
 *
 * @example
 * ```ts
 * const database = await openDatabase({ sqlitePath });
 * const metrics = createMetrics();
 * const server = createServer({ version, log, metrics, database, api: serverApi(database, { metrics }) });
 * const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
 * await server.close(); // then close the verifier and the database
 * ```
 */

import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { defaultEnv, type ProtocolEnv } from '@parley/protocol';
import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { ApiDeps } from './api-deps.ts';
import { forgetSubject, parseForgetNotice } from './bus/mailbox-notices.ts';
import type { MessageBus } from './bus/message-bus.ts';
import { GroupEvents } from './groups/group-events.ts';
import { type AppDeps, createApp } from './http/app.ts';
import type { Quotas } from './http/quotas.ts';
import type { Logger } from './logger.ts';
import { CachedMailboxStore } from './mailboxes/mailbox-cache.ts';
import { type ClusterBus, MailboxEvents } from './mailboxes/mailbox-events.ts';
import type { Metrics } from './metrics.ts';
import {
  type Database,
  type GroupRetention,
  MemoryChallengeStore,
  SqlAccountStore,
  SqlChallengeStore,
  SqlContactAddressStore,
  SqlDeviceListStore,
  SqlDeviceStore,
  SqlGroupStore,
  SqlKeyPackageStore,
  SqlMailboxStore,
  SqlPreKeyStore,
} from './storage/index.ts';
import type { SignatureVerifier } from './verifier/delivery-verifier.ts';
import { attachWebSocket, type WebSocketHandle, type WebSocketOptions } from './websocket/ws-adapter.ts';

export interface ServerApiOptions {
  /** Where deliveries, commits and queued messages are counted. */
  readonly metrics: Metrics;
  /** Checks delivery signatures and proofs (none: on the calling thread). */
  readonly verifier?: SignatureVerifier;
  /** When set, registration requires this key (a private server). */
  readonly registrationKey?: string | null;
  readonly env?: ProtocolEnv;
  /**
   * Whether challenges live in this process's memory (default: on SQLite, whose database is this
   * process's alone, so issuing one costs no durable write; PostgreSQL may be shared by a
   * cluster, any process of which must be able to check a challenge another issued).
   */
  readonly challengesInMemory?: boolean;
  /** Quotas and rate limits (http/quotas.ts); none: unlimited, as a library's tests want. */
  readonly quotas?: Quotas;
  /**
   * The cluster's bus (docs/server.md "A cluster"): mailbox events and cache invalidation go
   * through it. None: one process, everything in memory.
   */
  readonly cluster?: ClusterBus;
  /** How long and how much of each group log is kept (default: DEFAULT_GROUP_RETENTION). */
  readonly groupRetention?: GroupRetention;
}

/** The v1 API's stores over `database`, with a mailbox cache and in-process mailbox events. */
export function serverApi(database: Database, options: ServerApiOptions): ApiDeps {
  const { metrics } = options;
  const inMemory = options.challengesInMemory ?? database.dialect === 'sqlite';
  const { cluster } = options;
  const mailboxes = new CachedMailboxStore(
    new SqlMailboxStore(database, { onBatch: metrics.observeCommit }),
    undefined,
    {
      ...(cluster ? { onDeleted: (id: Uint8Array) => cluster.bus.publish(forgetSubject(cluster.prefix), id) } : {}),
    },
  );
  if (cluster) {
    metrics.watchBus(() => cluster.bus.connected);
    cluster.bus.onReconnect(() => metrics.busReconnects.inc());
  }
  cluster?.bus.subscribe(forgetSubject(cluster.prefix), (data) => {
    const id = parseForgetNotice(data);
    if (id !== null) mailboxes.forget(id);
  });
  metrics.countQueued(() => mailboxes.total());
  const groups = new SqlGroupStore(database, options.groupRetention ? { retention: options.groupRetention } : {});
  metrics.countGroups(() => groups.count());
  return {
    env: options.env ?? defaultEnv,
    ...(options.verifier ? { verifier: options.verifier } : {}),
    accounts: new SqlAccountStore(database),
    devices: new SqlDeviceStore(database),
    deviceLists: new SqlDeviceListStore(database),
    prekeys: new SqlPreKeyStore(database),
    mailboxes,
    addresses: new SqlContactAddressStore(database),
    events: new MailboxEvents(cluster),
    groups,
    keyPackages: new SqlKeyPackageStore(database),
    groupEvents: new GroupEvents(cluster),
    challenges: inMemory ? new MemoryChallengeStore() : new SqlChallengeStore(database),
    registrationKey: options.registrationKey ?? null,
    metrics,
    ...(options.quotas ? { quotas: options.quotas } : {}),
  };
}

export interface ServerDeps {
  readonly version: string;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The database behind the stores: /health asks it whether it answers. */
  readonly database: Database;
  /** The cluster's bus, if any: /health/ready asks whether it is connected. */
  readonly bus?: MessageBus;
  readonly api: ApiDeps;
  readonly prekeyOptions?: AppDeps['prekeyOptions'];
  readonly addressOptions?: AppDeps['addressOptions'];
  readonly deviceOptions?: AppDeps['deviceOptions'];
  readonly groupOptions?: AppDeps['groupOptions'];
  readonly keyPackageOptions?: AppDeps['keyPackageOptions'];
  readonly websocket?: WebSocketOptions;
  /** Who may read `/metrics` (http/app.ts; default open). */
  readonly metricsAccess?: AppDeps['metricsAccess'];
  /** How often expired challenges, messages and contact requests are deleted (none: never). */
  readonly purgeEveryMs?: number;
}

export interface ListenOptions {
  readonly port: number;
  readonly host: string;
  /** PEM certificate and key: serve https (and wss). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Errors of the listening server after it started (before: `listen` rejects). */
  readonly onError?: (error: NodeJS.ErrnoException) => void;
}

export interface ParleyServer {
  /** The HTTP app: `app.request()` serves a request without a socket. */
  readonly app: Hono;
  readonly api: ApiDeps;
  /** Serves the app and the WebSocket; resolves with the address once it accepts connections. */
  listen(options: ListenOptions): Promise<AddressInfo>;
  /**
   * Drains (SIGTERM): /health/ready answers 503 from now on, the purge stops, the server stops
   * accepting connections, every WebSocket is closed with 1012 "service restart", and it resolves
   * once the requests and WebSocket frames in flight are done — every write they made committed.
   * The stores' database, the bus and the verifier are the caller's to close.
   */
  close(): Promise<void>;
}

export function createServer(deps: ServerDeps): ParleyServer {
  const { api, database } = deps;
  const app = createApp({
    version: deps.version,
    metrics: deps.metrics,
    log: deps.log,
    api,
    checkDatabase: async () => {
      await sql`select 1`.execute(database.db);
      return true;
    },
    ...(deps.bus ? { checkBus: () => deps.bus?.connected === true } : {}),
    draining: () => draining,
    ...(deps.prekeyOptions ? { prekeyOptions: deps.prekeyOptions } : {}),
    ...(deps.addressOptions ? { addressOptions: deps.addressOptions } : {}),
    ...(deps.deviceOptions ? { deviceOptions: deps.deviceOptions } : {}),
    ...(deps.groupOptions ? { groupOptions: deps.groupOptions } : {}),
    ...(deps.keyPackageOptions ? { keyPackageOptions: deps.keyPackageOptions } : {}),
    ...(deps.metricsAccess ? { metricsAccess: deps.metricsAccess } : {}),
  });

  let draining = false;
  let purge: NodeJS.Timeout | undefined;
  if (deps.purgeEveryMs !== undefined) {
    purge = setInterval(() => {
      api.challenges.purgeExpired().catch(() => undefined);
      api.mailboxes.purgeExpired().catch(() => undefined);
      api.addresses.purgeExpired().catch(() => undefined);
      api.prekeys.purgeExpiredGrants(Date.now()).catch(() => undefined);
      api.groups.purgeExpired(Date.now()).catch(() => undefined);
    }, deps.purgeEveryMs);
    purge.unref();
  }

  let http: Server | undefined;
  let sockets: WebSocketHandle | undefined;

  return {
    app,
    api,
    listen: (options) =>
      new Promise((resolve, reject) => {
        const { tls } = options;
        const server = serve(
          {
            fetch: app.fetch,
            port: options.port,
            hostname: options.host,
            ...(tls ? { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } } : {}),
          },
          (info) => {
            listening = true;
            resolve(info);
          },
        ) as Server;
        let listening = false;
        server.on('error', (e: NodeJS.ErrnoException) => (listening ? options.onError?.(e) : reject(e)));
        http = server;
        sockets = attachWebSocket(server, api, deps.log, deps.websocket);
      }),
    close: async () => {
      draining = true;
      clearInterval(purge);
      const server = http;
      // Stop accepting first; close() then waits for the requests in flight (idle keep-alive
      // connections are closed at once, busy ones once their response is sent).
      const stopped = new Promise<void>((done) => (server === undefined ? done() : server.close(() => done())));
      await sockets?.close();
      await stopped;
    },
  };
}
