/**
 * `parley-server`: parses the configuration, opens the database (embedded SQLite under --data
 * by default, PostgreSQL with --database-url), serves the HTTP app and shuts down gracefully:
 * on SIGINT/SIGTERM it stops accepting connections, lets in-flight requests finish, then closes
 * the database, so no acknowledged write is cut short.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { defaultEnv } from '@parley/protocol';
import { sql } from 'kysely';
import type { ApiDeps } from './api-deps.ts';
import { ConfigError, parseConfig, type ServerConfig, USAGE } from './config.ts';
import { createApp } from './http/app.ts';
import { createLogger } from './logger.ts';
import { CachedMailboxStore } from './mailboxes/mailbox-cache.ts';
import { MailboxEvents } from './mailboxes/mailbox-events.ts';
import { createMetrics } from './metrics.ts';
import {
  MemoryChallengeStore,
  openDatabase,
  SqlAccountStore,
  SqlChallengeStore,
  SqlContactAddressStore,
  SqlDeviceStore,
  SqlMailboxStore,
  SqlPreKeyStore,
} from './storage/index.ts';
import { ThreadVerifier } from './verifier/delivery-verifier.ts';
import { attachWebSocket } from './websocket/websocket.ts';

const VERSION = '0.1.0';
/** How long shutdown waits for in-flight requests before closing anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

function configOrExit(): ServerConfig {
  try {
    const config = parseConfig(process.argv.slice(2), process.env);
    if (config === 'help') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    return config;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`parley-server: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

const config = configOrExit();
let database: Awaited<ReturnType<typeof openDatabase>>;
let where: string;
try {
  if (config.databaseUrl !== null) {
    database = await openDatabase(config.databaseUrl);
    where = 'PostgreSQL';
  } else {
    const dir = resolve(config.dataDir);
    mkdirSync(dir, { recursive: true });
    database = await openDatabase(
      { sqlitePath: join(dir, 'parley.sqlite') },
      { checkpointThread: true, writerThread: true },
    );
    where = `SQLite in ${dir}`;
  }
} catch (e) {
  process.stderr.write(`parley-server: cannot open the database (${(e as Error).message.split('\n')[0]})\n`);
  process.exit(1);
}

const metrics = createMetrics();
// SQLite is this process's alone, so its challenges can live in memory: issuing one costs no
// durable write on the event loop (storage/challenge-store.ts). PostgreSQL may be shared by a
// cluster, any process of which must be able to check a challenge another issued.
const challenges = database.dialect === 'sqlite' ? new MemoryChallengeStore() : new SqlChallengeStore(database);
const mailboxes = new CachedMailboxStore(new SqlMailboxStore(database, { onBatch: metrics.observeCommit }));
metrics.countQueued(() => mailboxes.total());
const addresses = new SqlContactAddressStore(database);
const events = new MailboxEvents();
/** Expired challenges, messages and contact requests are deleted every minute. */
const purge = setInterval(() => {
  challenges.purgeExpired().catch(() => undefined);
  mailboxes.purgeExpired().catch(() => undefined);
  addresses.purgeExpired().catch(() => undefined);
}, 60_000);
purge.unref();

const log = createLogger();
/** Delivery signatures are checked on a worker thread, off the event loop (delivery-verifier.ts). */
const verifier = new ThreadVerifier();
await verifier.warm(); // before listening: the first delivery does not wait for the thread
const api: ApiDeps = {
  env: defaultEnv,
  verifier,
  accounts: new SqlAccountStore(database),
  devices: new SqlDeviceStore(database),
  prekeys: new SqlPreKeyStore(database),
  mailboxes,
  addresses,
  events,
  challenges,
  registrationKey: config.registrationKey,
  metrics,
};
const app = createApp({
  version: VERSION,
  metrics,
  log,
  api,
  checkDatabase: async () => {
    await sql`select 1`.execute(database.db);
    return true;
  },
});

const tls = config.tlsCert !== null && config.tlsKey !== null;
const server = serve(
  {
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    ...(tls
      ? {
          createServer: createHttpsServer,
          serverOptions: { cert: readFileSync(config.tlsCert as string), key: readFileSync(config.tlsKey as string) },
        }
      : {}),
  },
  (info) => {
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
    process.stdout.write(
      `parley-server ${VERSION} listening on ${tls ? 'https' : 'http'}://${host}:${info.port} (${where})\n`,
    );
  },
);

const sockets = attachWebSocket(server as Server, api, log);

server.on('error', (e: NodeJS.ErrnoException) => {
  process.stderr.write(`parley-server: cannot listen on ${config.host}:${config.port} (${e.code ?? 'error'})\n`);
  process.exit(1);
});

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`parley-server: ${signal}, finishing in-flight requests\n`);
  const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
  force.unref();
  clearInterval(purge);
  sockets.close();
  server.close(async () => {
    await verifier.close();
    await database.close();
    process.stdout.write('parley-server: stopped\n');
    process.exit(0);
  });
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
