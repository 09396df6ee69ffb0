/**
 * Server configuration from command-line flags and PARLEY_* environment variables (flags win).
 * Parsing is pure: `parseConfig(argv, env)` returns a config or a usage error; main.ts prints it.
 */
import { parseArgs } from 'node:util';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Directory for the embedded SQLite database (created if missing). */
  readonly dataDir: string;
  /** A postgres:// URL: use PostgreSQL instead of the embedded SQLite database. */
  readonly databaseUrl: string | null;
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  /** A private server: registration requires this key. */
  readonly registrationKey: string | null;
}

export const USAGE = `Usage: parley-server [options]

Runs a Parley home server. By default it keeps its data in an embedded SQLite database
under --data and listens on 127.0.0.1 only.

Options (each also read from the environment variable shown):
  --port N             TCP port (PARLEY_PORT; default 8787; 0 picks a free port)
  --host ADDR          address to listen on (PARLEY_HOST; default 127.0.0.1)
  --data DIR           data directory for SQLite (PARLEY_DATA; default ./.parley/server)
  --database-url URL   postgres://… to use PostgreSQL instead (PARLEY_DATABASE_URL)
  --tls-cert FILE      PEM certificate: serve https/wss (PARLEY_TLS_CERT; needs --tls-key)
  --tls-key FILE       PEM private key (PARLEY_TLS_KEY)
  --registration-key K private server: new accounts must present K (PARLEY_REGISTRATION_KEY)
  -h, --help           show this help
`;

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
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'registration-key': { type: 'string' },
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
  const tlsCert = str('tls-cert', 'PARLEY_TLS_CERT') ?? null;
  const tlsKey = str('tls-key', 'PARLEY_TLS_KEY') ?? null;
  if ((tlsCert === null) !== (tlsKey === null)) throw new ConfigError('--tls-cert and --tls-key go together');
  return {
    host: str('host', 'PARLEY_HOST') ?? '127.0.0.1',
    port,
    dataDir: str('data', 'PARLEY_DATA') ?? '.parley/server',
    databaseUrl,
    tlsCert,
    tlsKey,
    registrationKey: str('registration-key', 'PARLEY_REGISTRATION_KEY') ?? null,
  };
}
