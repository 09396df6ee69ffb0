/**
 * N `parley-server` processes of one cluster (docs/server.md "A cluster"): the same PostgreSQL
 * database and NATS bus (its own subject prefix), each on its own loopback port, started with
 * server-process.ts — so each can be stopped (SIGTERM), killed (SIGKILL) or restarted alone.
 *
 * @example
 * ```ts
 * const db = await createClusterDatabase();
 * const cluster = await startCluster({ processes: 3, databaseUrl: db.url });
 * await cluster.servers[1]?.kill();
 * await cluster.stop();
 * await db.drop();
 * ```
 */
import { freshBusPrefix, NATS_URL } from './cluster-services.ts';
import { type ServerProcess, type ServerProcessOptions, startServer } from './server-process.ts';

export interface ClusterOptions extends Omit<ServerProcessOptions, 'dataDir'> {
  readonly processes: number;
  readonly databaseUrl: string;
  /** Default: PARLEY_TEST_NATS_URL, or nats://127.0.0.1:4222. */
  readonly busUrl?: string;
  /** Default: a fresh one (cluster-services.ts). */
  readonly prefix?: string;
  /** More flags for every process. */
  readonly args?: readonly string[];
}

export interface ServerCluster {
  readonly servers: readonly ServerProcess[];
  readonly prefix: string;
  /** Stops every process still running (SIGTERM). */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<ServerCluster> {
  const prefix = options.prefix ?? freshBusPrefix();
  const args = [
    '--database-url',
    options.databaseUrl,
    '--bus',
    options.busUrl ?? NATS_URL,
    '--bus-prefix',
    prefix,
    ...(options.args ?? []),
  ];
  const servers: ServerProcess[] = [];
  // One after another: the first runs the migrations, the others find them done.
  for (let i = 0; i < options.processes; i++) servers.push(await startServer(args, options));
  return {
    servers,
    prefix,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop().catch(() => null)));
    },
  };
}
