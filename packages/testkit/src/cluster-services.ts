/**
 * The services a cluster of `parley-server` processes runs on, for tests and benchmarks:
 * a throwaway PostgreSQL database (created on the server at PARLEY_TEST_PG_URL, default the
 * local `postgres` user as on CI, dropped afterwards) and the NATS server at PARLEY_TEST_NATS_URL
 * (default nats://127.0.0.1:4222), with a fresh subject prefix per use so that runs sharing one
 * NATS never hear each other. {@link clusterServicesMissing} says, in words, which one is not
 * reachable — the only reason a cluster test may skip.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NATS_URL = process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A URL without its password, for messages. */
function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface ClusterDatabase {
  /** A connection URL for the new, empty database. */
  readonly url: string;
  /** Drops it, ending any connection a killed process left open. */
  drop(): Promise<void>;
}

export async function createClusterDatabase(): Promise<ClusterDatabase> {
  const name = `parley_cluster_${randomBytes(8).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A bus subject prefix no other run uses. */
export function freshBusPrefix(): string {
  return `parley-test-${randomBytes(6).toString('hex')}`;
}

function tcpReachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Null if PostgreSQL and NATS both answer; else what is missing, and how to provide it. */
export async function clusterServicesMissing(): Promise<string | null> {
  const missing: string[] = [];
  try {
    await admin((c) => c.query('select 1'));
  } catch {
    missing.push(`PostgreSQL at ${redacted(PG_ADMIN_URL)} (set PARLEY_TEST_PG_URL)`);
  }
  const nats = new URL(NATS_URL);
  if (!(await tcpReachable(nats.hostname, Number(nats.port || 4222))))
    missing.push(`NATS at ${redacted(NATS_URL)} (set PARLEY_TEST_NATS_URL; nats-server -js)`);
  return missing.length === 0 ? null : `not reachable: ${missing.join('; ')}`;
}
