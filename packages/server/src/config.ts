/**
 * Server configuration from command-line flags and PARLEY_* environment variables (flags win).
 * Parsing is pure: `parseConfig(argv, env)` returns a config or a usage error; main.ts prints it.
 */
import { parseArgs } from 'node:util';
import { validBusPrefix } from './bus/mailbox-notices.ts';
import { SourceConfigError, SourceResolver } from './client-address.ts';
import { DEFAULT_QUOTAS, type QuotaOptions } from './http/quotas.ts';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './websocket/frame-budget.ts';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Directory for the embedded SQLite database (created if missing). */
  readonly dataDir: string;
  /** A postgres:// URL: use PostgreSQL instead of the embedded SQLite database. */
  readonly databaseUrl: string | null;
  /** A nats:// URL: one process of a cluster, telling the others over this bus (needs databaseUrl). */
  readonly busUrl: string | null;
  /** The bus subjects' prefix: one per cluster sharing a NATS server. */
  readonly busPrefix: string;
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  /** A private server: registration requires this key. */
  readonly registrationKey: string | null;
  // Limits and quotas (issue 16; docs/server.md "Limits and quotas").
  /** Quotas and rate limits per source and per account. */
  readonly quotas: QuotaOptions;
  /** Bearer token for /metrics; null: /metrics is not served. */
  readonly metricsToken: string | null;
  /** WebSocket connections one source may hold open at once. */
  readonly maxConnectionsPerSource: number;
  /** Each WebSocket connection's limits, with the control-frame pace per source. */
  readonly websocketLimits: ConnectionLimits;
}

export const USAGE = `Usage: parley-server [options]

Runs a Parley home server. By default it keeps its data in an embedded SQLite database
under --data and listens on 127.0.0.1 only.

Options (each also read from the environment variable shown):
  --port N             TCP port (PARLEY_PORT; default 8787; 0 picks a free port)
  --host ADDR          address to listen on (PARLEY_HOST; default 127.0.0.1)
  --data DIR           data directory for SQLite (PARLEY_DATA; default ./.parley/server)
  --database-url URL   postgres://… to use PostgreSQL instead (PARLEY_DATABASE_URL)
  --bus URL            nats://… : run as one process of a cluster on the PostgreSQL of
                       --database-url, telling the others over this NATS (PARLEY_BUS_URL)
  --bus-prefix P       subject prefix, one per cluster on a NATS server (PARLEY_BUS_PREFIX;
                       default parley)
  --tls-cert FILE      PEM certificate: serve https/wss (PARLEY_TLS_CERT; needs --tls-key)
  --tls-key FILE       PEM private key (PARLEY_TLS_KEY)
  --registration-key K private server: new accounts must present K (PARLEY_REGISTRATION_KEY)

Limits and quotas (a source is an address, or an IPv6 prefix; 0 turns a limit off):
  --registrations-per-hour N   new accounts per source (PARLEY_REGISTRATIONS_PER_HOUR;
                               default 10, bursts of 5)
  --challenges-per-minute N    HTTP challenges per source (PARLEY_CHALLENGES_PER_MINUTE;
                               default 120, bursts of 300)
  --requests-per-minute N      authenticated requests per account (PARLEY_REQUESTS_PER_MINUTE;
                               default 600, bursts of 300)
  --mailboxes-per-day N        mailboxes created per account (PARLEY_MAILBOXES_PER_DAY;
                               default 200, bursts of 200)
  --device-links-per-day N     devices added per account (PARLEY_DEVICE_LINKS_PER_DAY;
                               default 10, bursts of 5)
  --groups-per-day N           groups created per account (PARLEY_GROUPS_PER_DAY;
                               default 50, bursts of 20)
  --connections-per-source N   WebSocket connections open at once per source
                               (PARLEY_CONNECTIONS_PER_SOURCE; default 32)
  --control-frames-per-second N  WebSocket challenge/subscribe/authorize frames per source
                               (PARLEY_CONTROL_FRAMES_PER_SECOND; default 20, bursts of 2100)
  --trusted-proxy LIST         comma-separated addresses or CIDR ranges of reverse proxies whose
                               X-Forwarded-For is believed (PARLEY_TRUSTED_PROXY; default none)
  --ipv6-prefix BITS           IPv6 addresses sharing this prefix are one source
                               (PARLEY_IPV6_PREFIX; default 64)
  --metrics-token T            serve /metrics to bearers of T only (PARLEY_METRICS_TOKEN;
                               default: /metrics is not served)
  -h, --help           show this help
`;

/** A limit turned off: a bucket that never runs out. */
const OFF = { perMinute: 1e9, burst: Number.POSITIVE_INFINITY };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ServerConfig | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        'database-url': { type: 'string' },
        bus: { type: 'string' },
        'bus-prefix': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'registration-key': { type: 'string' },
        'registrations-per-hour': { type: 'string' },
        'challenges-per-minute': { type: 'string' },
        'requests-per-minute': { type: 'string' },
        'mailboxes-per-day': { type: 'string' },
        'device-links-per-day': { type: 'string' },
        'groups-per-day': { type: 'string' },
        'connections-per-source': { type: 'string' },
        'control-frames-per-second': { type: 'string' },
        'trusted-proxy': { type: 'string' },
        'ipv6-prefix': { type: 'string' },
        'metrics-token': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\nRun parley-server --help for the options.`);
  }
  if (values.help) return 'help';
  const str = (flag: string, envName: string): string | undefined =>
    (values[flag] as string | undefined) ?? env[envName] ?? undefined;

  const portText = str('port', 'PARLEY_PORT') ?? '8787';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new ConfigError('--port must be an integer from 0 to 65535');
  const databaseUrl = str('database-url', 'PARLEY_DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('--database-url must be a postgres:// URL');
  }
  const busUrl = str('bus', 'PARLEY_BUS_URL') ?? null;
  if (busUrl !== null && !/^(nats|tls):\/\//.test(busUrl)) throw new ConfigError('--bus must be a nats:// URL');
  if (busUrl !== null && databaseUrl === null)
    throw new ConfigError('--bus needs --database-url: the processes of a cluster share one PostgreSQL database');
  const busPrefix = str('bus-prefix', 'PARLEY_BUS_PREFIX') ?? 'parley';
  if (!validBusPrefix(busPrefix))
    throw new ConfigError('--bus-prefix must be dot-separated letters, digits, - and _ (at most 64)');
  const tlsCert = str('tls-cert', 'PARLEY_TLS_CERT') ?? null;
  const tlsKey = str('tls-key', 'PARLEY_TLS_KEY') ?? null;
  if ((tlsCert === null) !== (tlsKey === null)) throw new ConfigError('--tls-cert and --tls-key go together');
  const count = (flag: string, envName: string, fallback: number): number => {
    const text = str(flag, envName);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      throw new ConfigError(`--${flag} must be a non-negative integer`);
    return Number(text);
  };
  const d = DEFAULT_QUOTAS;
  // A rate of 0 turns the limit off; the burst follows the rate in the defaults' proportion.
  const rate = (n: number, perMinute: number, burstPerRate: number) =>
    n === 0 ? OFF : { perMinute, burst: Math.max(1, Math.round(n * burstPerRate)) };
  const perHour = count('registrations-per-hour', 'PARLEY_REGISTRATIONS_PER_HOUR', 10);
  const challenges = count('challenges-per-minute', 'PARLEY_CHALLENGES_PER_MINUTE', d.challengesPerSource.perMinute);
  const requests = count('requests-per-minute', 'PARLEY_REQUESTS_PER_MINUTE', d.requestsPerAccount.perMinute);
  const perDay = count('mailboxes-per-day', 'PARLEY_MAILBOXES_PER_DAY', 200);
  const links = count('device-links-per-day', 'PARLEY_DEVICE_LINKS_PER_DAY', 10);
  const groups = count('groups-per-day', 'PARLEY_GROUPS_PER_DAY', 50);
  const trustedProxies = (str('trusted-proxy', 'PARLEY_TRUSTED_PROXY') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const sources = { trustedProxies, ipv6PrefixBits: count('ipv6-prefix', 'PARLEY_IPV6_PREFIX', 64) };
  try {
    new SourceResolver(sources);
  } catch (e) {
    if (e instanceof SourceConfigError) throw new ConfigError(`--trusted-proxy/--ipv6-prefix: ${e.message}`);
    throw e;
  }
  const quotas: QuotaOptions = {
    registrationsPerSource: rate(perHour, perHour / 60, 0.5),
    challengesPerSource: rate(challenges, challenges, 2.5),
    requestsPerAccount: rate(requests, requests, 0.5),
    mailboxesPerAccount: rate(perDay, perDay / (24 * 60), 1),
    deviceLinksPerAccount: rate(links, links / (24 * 60), 0.5),
    groupsPerAccount: rate(groups, groups / (24 * 60), 0.4),
    sources,
  };
  const connections = count('connections-per-source', 'PARLEY_CONNECTIONS_PER_SOURCE', 32);
  const control = count(
    'control-frames-per-second',
    'PARLEY_CONTROL_FRAMES_PER_SECOND',
    DEFAULT_CONNECTION_LIMITS.controlPerSecond,
  );
  // The burst is what the client SDK needs to resubscribe its mailboxes at once, whatever the pace.
  const websocketLimits: ConnectionLimits =
    control === 0
      ? { ...DEFAULT_CONNECTION_LIMITS, controlBurst: Number.POSITIVE_INFINITY, controlPerSecond: 1e9 }
      : { ...DEFAULT_CONNECTION_LIMITS, controlPerSecond: control };
  return {
    websocketLimits,
    quotas,
    metricsToken: str('metrics-token', 'PARLEY_METRICS_TOKEN') ?? null,
    maxConnectionsPerSource: connections === 0 ? Number.POSITIVE_INFINITY : connections,
    host: str('host', 'PARLEY_HOST') ?? '127.0.0.1',
    port,
    dataDir: str('data', 'PARLEY_DATA') ?? '.parley/server',
    databaseUrl,
    busUrl,
    busPrefix,
    tlsCert,
    tlsKey,
    registrationKey: str('registration-key', 'PARLEY_REGISTRATION_KEY') ?? null,
  };
}
