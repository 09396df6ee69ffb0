/**
 * Prometheus metrics, in a registry of our own (never prom-client's global one, so tests and
 * several servers in one process do not share counters). Labels are route patterns and status
 * codes only: never an account, device, mailbox or anything else a request carries.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How a delivery reached the server. */
export type Transport = 'http' | 'websocket';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestSeconds: Histogram<'method' | 'route'>;
  readonly errors: Counter<'code'>;
  readonly websocketConnections: Gauge;
  /** Deliveries stored, or recognised as a copy of one waiting (`duplicate`). */
  readonly deliveries: Counter<'transport' | 'result'>;
  /** From a delivery's arrival (validated) to its commit: what a sender waits for. */
  readonly deliverySeconds: Histogram<'transport'>;
  readonly pushes: Counter;
  /** Requests refused by a rate limit or quota, by which (docs/server.md "Limits and quotas"). */
  readonly limited: Counter<'limit'>;
  /** Each configured limit: its sustained rate a minute and its burst (infinite: off). */
  readonly limits: Gauge<'limit' | 'bound'>;
  /** One group commit of deliveries and acknowledgements: how many, and how long it took. */
  observeCommit(operations: number, seconds: number): void;
  /** Where `parley_queued_messages` comes from, read at each scrape. */
  countQueued(source: () => Promise<number>): void;
  /** A cluster's bus (docs/server.md "A cluster"): whether it is connected, read at each scrape. */
  watchBus(connected: () => boolean): void;
  /** Times the bus connection came back after it dropped (each one re-reads every subscribed mailbox). */
  readonly busReconnects: Counter;
  /** Posts to group logs, by kind (`application`, `commit`) and result (`stored`, `stale-epoch`). */
  readonly groupPosts: Counter<'kind' | 'result'>;
  /** Group entries pushed to subscribed WebSocket connections. */
  readonly groupPushes: Counter;
  /** Key packages handed out, by kind (`one-time`, `last-resort`). */
  readonly keyPackagesServed: Counter<'kind'>;
  /** Where `parley_groups` comes from, read at each scrape. */
  countGroups(source: () => Promise<number>): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  const commitOperations = new Histogram({
    name: 'parley_group_commit_operations',
    help: 'Deliveries and acknowledgements written per group commit',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1024],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'parley_group_commit_duration_seconds',
    help: 'How long one group commit took to write, commit included',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  let queuedSource: (() => Promise<number>) | null = null;
  new Gauge({
    name: 'parley_queued_messages',
    help: 'Messages stored and not yet acknowledged or expired, in all mailboxes',
    registers: [registry],
    async collect() {
      try {
        if (queuedSource !== null) this.set(await queuedSource());
      } catch {
        // the database is failing: keep the last value (/health says so)
      }
    },
  });
  let groupsSource: (() => Promise<number>) | null = null;
  new Gauge({
    name: 'parley_groups',
    help: 'Group logs stored',
    registers: [registry],
    async collect() {
      try {
        if (groupsSource !== null) this.set(await groupsSource());
      } catch {
        // the database is failing: keep the last value
      }
    },
  });
  let busSource: (() => boolean) | null = null;
  new Gauge({
    name: 'parley_bus_connected',
    help: "1 while the cluster's bus is connected, 0 while not (and without a bus)",
    registers: [registry],
    collect() {
      if (busSource !== null) this.set(busSource() ? 1 : 0);
    },
  });
  return {
    registry,
    busReconnects: new Counter({
      name: 'parley_bus_reconnects_total',
      help: "Times the cluster's bus connection came back after it dropped",
      registers: [registry],
    }),
    watchBus: (connected) => {
      busSource = connected;
    },
    requests: new Counter({
      name: 'parley_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP request latency by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'parley_errors_total',
      help: 'Error responses by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    websocketConnections: new Gauge({
      name: 'parley_websocket_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'parley_deliveries_total',
      help: 'Deliveries into mailboxes by transport and result (stored, or duplicate of one waiting)',
      labelNames: ['transport', 'result'],
      registers: [registry],
    }),
    deliverySeconds: new Histogram({
      name: 'parley_delivery_duration_seconds',
      help: 'From a delivery arriving to its commit, by transport',
      labelNames: ['transport'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    pushes: new Counter({
      name: 'parley_pushes_total',
      help: 'Messages pushed to subscribed WebSocket connections',
      registers: [registry],
    }),
    limited: new Counter({
      name: 'parley_limited_total',
      help: 'Requests refused by a rate limit or quota, by limit',
      labelNames: ['limit'],
      registers: [registry],
    }),
    limits: new Gauge({
      name: 'parley_limit',
      help: 'Configured rate limits and quotas: bound is per_minute (sustained) or burst',
      labelNames: ['limit', 'bound'],
      registers: [registry],
    }),
    observeCommit: (operations, seconds) => {
      commitOperations.observe(operations);
      commitSeconds.observe(seconds);
    },
    countQueued: (source) => {
      queuedSource = source;
    },
    groupPosts: new Counter({
      name: 'parley_group_posts_total',
      help: 'Posts to group logs by kind (application, commit) and result (stored, stale-epoch)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    groupPushes: new Counter({
      name: 'parley_group_pushes_total',
      help: 'Group entries pushed to subscribed WebSocket connections',
      registers: [registry],
    }),
    keyPackagesServed: new Counter({
      name: 'parley_key_packages_served_total',
      help: 'Key packages handed out, by kind (one-time, last-resort)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    countGroups: (source) => {
      groupsSource = source;
    },
  };
}
