/**
 * `parley-server`: parses the configuration, opens the database (embedded SQLite under --data
 * by default, PostgreSQL with --database-url) and, with --bus, the cluster's NATS connection,
 * serves them (create-server.ts) and drains on SIGINT/SIGTERM: /health/ready turns 503, it stops
 * accepting connections, closes WebSockets with 1012 "service restart", lets in-flight requests
 * and frames finish, then closes the bus and the database and exits 0, so no acknowledged write
 * is cut short.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MessageBus } from './bus/message-bus.ts';
import { connectNatsBus } from './bus/nats-bus.ts';
import { SourceResolver } from './client-address.ts';
import { ConfigError, parseConfig, type ServerConfig, USAGE } from './config.ts';
import { createServer, serverApi } from './create-server.ts';
import { Quotas } from './http/quotas.ts';
import { loadWebApp, type WebApp, WebAppError } from './http/web-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { openDatabase } from './storage/index.ts';
import { ThreadVerifier } from './verifier/delivery-verifier.ts';

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

let bus: MessageBus | undefined;
if (config.busUrl !== null) {
  try {
    bus = await connectNatsBus(config.busUrl);
  } catch (e) {
    // The URL may carry credentials: only the error's code goes out.
    process.stderr.write(`parley-server: cannot connect to the bus (${(e as { code?: string }).code ?? 'error'})\n`);
    await database.close();
    process.exit(1);
  }
  where += ` with a NATS bus (prefix ${config.busPrefix})`;
}

/** The built web app, read once now (http/web-app.ts); a rebuild needs a restart. */
let web: WebApp | null = null;
if (config.webDir !== null) {
  try {
    web = loadWebApp(resolve(config.webDir));
  } catch (e) {
    if (!(e instanceof WebAppError || (e as NodeJS.ErrnoException).code !== undefined)) throw e;
    process.stderr.write(`parley-server: cannot read the web app in ${config.webDir} (${(e as Error).message})\n`);
    process.exit(1);
  }
  if (web.built && web.skipped.length > 0) {
    process.stderr.write(
      `parley-server: not serving ${web.skipped.length} entries of ${web.dir} that are not regular files inside it (${web.skipped.slice(0, 3).join(', ')}${web.skipped.length > 3 ? ', …' : ''})\n`,
    );
  }
}

const metrics = createMetrics();
const log = createLogger();
/** Delivery signatures are checked on a worker thread, off the event loop (verifier/delivery-verifier.ts). */
const verifier = new ThreadVerifier();
await verifier.warm(); // before listening: the first delivery does not wait for the thread
const server = createServer({
  version: VERSION,
  metrics,
  log,
  database,
  ...(bus ? { bus } : {}),
  api: serverApi(database, {
    ...(bus ? { cluster: { bus, prefix: config.busPrefix } } : {}),
    metrics,
    verifier,
    registrationKey: config.registrationKey,
    quotas: new Quotas(config.quotas, metrics),
  }),
  metricsAccess: config.metricsToken === null ? 'off' : { token: config.metricsToken },
  websocket: {
    maxConnectionsPerSource: config.maxConnectionsPerSource,
    limits: config.websocketLimits,
    sources: new SourceResolver(config.quotas.sources),
  },
  /** Expired challenges, messages and contact requests are deleted every minute. */
  purgeEveryMs: 60_000,
  ...(web === null ? {} : { web: { app: web, connectSrc: config.webConnectSrc } }),
});

/**
 * What to tell the person who started the server about the web app: the address to open, or how
 * to build it. A wildcard address is opened as loopback; a browser grants the app what it needs
 * (WebCrypto, Web Locks) only in a secure context — https, or http on loopback — so plain http on
 * another address gets a warning.
 */
function openLine(app: WebApp, scheme: string, address: string, port: number): string {
  if (!app.built) {
    return `parley-server: the web app is not built (no index.html in ${app.dir}): npm start builds it, or npm run build -w @parley/web; then restart`;
  }
  const wildcard = address === '0.0.0.0' || address === '::';
  const loopback = wildcard || address === '::1' || address.startsWith('127.') || address === 'localhost';
  const shown = wildcard ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  const line = `Open ${scheme}://${shown}:${port} in a browser`;
  if (scheme === 'https' || loopback) return line;
  return `${line} (browsers run the app only over https or on this machine: serve it with --tls-cert/--tls-key or behind a TLS proxy)`;
}

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`parley-server: ${signal}, finishing in-flight requests\n`);
  const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
  force.unref();
  void server.close().then(async () => {
    await bus?.close();
    await verifier.close();
    await database.close();
    process.stdout.write('parley-server: stopped\n');
    process.exit(0);
  });
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

const tls =
  config.tlsCert !== null && config.tlsKey !== null
    ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }
    : undefined;
const cannotListen = (e: NodeJS.ErrnoException) => {
  process.stderr.write(`parley-server: cannot listen on ${config.host}:${config.port} (${e.code ?? 'error'})\n`);
  process.exit(1);
};
try {
  const info = await server.listen({
    port: config.port,
    host: config.host,
    ...(tls ? { tls } : {}),
    onError: cannotListen,
  });
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  const scheme = tls ? 'https' : 'http';
  process.stdout.write(`parley-server ${VERSION} listening on ${scheme}://${host}:${info.port} (${where})\n`);
  if (web !== null) process.stdout.write(`${openLine(web, scheme, info.address, info.port)}\n`);
} catch (e) {
  cannotListen(e as NodeJS.ErrnoException);
}
