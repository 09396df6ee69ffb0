/**
 * The HTTP application. Like hono's own design, it sees only web-standard Request/Response:
 * tests call `app.request(...)` without a socket, and main.ts adapts it to Node's http server.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { MAX_BODY_BYTES } from '@parley/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiDeps } from '../api-deps.ts';
import { DomainError, wireCodeOf } from '../domain-error.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { ERROR_STATUS, type ErrorCode, errorBody, HttpError } from './http-error.ts';
import { accountRoutes } from './routes/accounts.ts';
import { type AddressRouteOptions, addressRoutes } from './routes/addresses.ts';
import { type DeviceRouteOptions, deviceRoutes } from './routes/devices.ts';
import { type GroupRouteOptions, groupRoutes } from './routes/groups.ts';
import { type KeyPackageRouteOptions, keyPackageRoutes } from './routes/key-packages.ts';
import { mailboxRoutes } from './routes/mailboxes.ts';
import { type PreKeyRouteOptions, prekeyRoutes } from './routes/prekeys.ts';

/** The largest request body the server reads (the wire contract's limit, re-exported). */
export { MAX_BODY_BYTES };

export interface AppDeps {
  /** Reports whether the database answers; /health returns 503 when it does not. */
  readonly checkDatabase: () => Promise<boolean>;
  /** Whether the cluster's bus is connected (none: no bus, as on one process). */
  readonly checkBus?: () => boolean;
  /** Whether the process is draining (SIGTERM): /health/ready answers 503 from then on. */
  readonly draining?: () => boolean;
  readonly version: string;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** The v1 API's stores and settings; without them only /health and /metrics are served. */
  readonly api?: ApiDeps;
  /** Rate limits and requester identification for the prekey directory (defaults suit production). */
  readonly prekeyOptions?: PreKeyRouteOptions;
  /** Rate limits for contact requests (defaults suit production). */
  readonly addressOptions?: AddressRouteOptions;
  /** The device-list fetch budget (defaults suit production). */
  readonly deviceOptions?: DeviceRouteOptions;
  /** The post budget of group logs (defaults suit production). */
  readonly groupOptions?: GroupRouteOptions;
  /** The key-package fetch budgets (defaults suit production). */
  readonly keyPackageOptions?: KeyPackageRouteOptions;
  /**
   * Who may read `/metrics` (default `open`): anyone, a bearer of `token`, or nobody (`off`,
   * 404). `parley-server` serves it only with `--metrics-token` (docs/server.md "Metrics").
   */
  readonly metricsAccess?: MetricsAccess;
}

export type MetricsAccess = 'open' | 'off' | { readonly token: string };

/** Whether `authorization` is `Bearer <token>`, compared in constant time (digests of equal length). */
function bearerOf(authorization: string | undefined, token: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${token}`));
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  // Count, time and log every request by its route pattern (never its raw path).
  app.use('*', async (c, next) => {
    const start = performance.now();
    await next();
    const route = c.req.routePath;
    const seconds = (performance.now() - start) / 1000;
    deps.metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    deps.metrics.requestSeconds.observe({ method: c.req.method, route }, seconds);
    deps.log.info({ method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('too-large', 'request body too large'), ERROR_STATUS['too-large']),
    }),
  );

  app.get('/health', async (c) => {
    const ok = await deps.checkDatabase().catch(() => false);
    return c.json({ status: ok ? 'ok' : 'unavailable', version: deps.version }, ok ? 200 : 503);
  });

  // For a load balancer or an orchestrator (docs/deploy.md): live = the process answers (restart
  // it if not); ready = send it traffic: its database and bus answer and it is not draining.
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health/ready', async (c) => {
    const database = await deps.checkDatabase().catch(() => false);
    const bus = deps.checkBus === undefined ? 'none' : deps.checkBus() ? 'ok' : 'unavailable';
    const draining = deps.draining?.() ?? false;
    const ready = database && bus !== 'unavailable' && !draining;
    return c.json(
      { status: ready ? 'ok' : 'unavailable', database: database ? 'ok' : 'unavailable', bus, draining },
      ready ? 200 : 503,
    );
  });

  const metricsAccess = deps.metricsAccess ?? 'open';
  app.get('/metrics', async (c) => {
    if (metricsAccess === 'off') return c.json(errorBody('not-found', 'no such endpoint'), ERROR_STATUS['not-found']);
    if (metricsAccess !== 'open' && !bearerOf(c.req.header('authorization'), metricsAccess.token)) {
      c.header('www-authenticate', 'Bearer');
      return c.json(errorBody('unauthorized', 'a metrics token is required'), ERROR_STATUS.unauthorized);
    }
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  if (deps.api) {
    app.route('/v1', accountRoutes(deps.api));
    app.route('/v1', prekeyRoutes(deps.api, deps.prekeyOptions));
    app.route('/v1', mailboxRoutes(deps.api));
    app.route('/v1', addressRoutes(deps.api, deps.addressOptions));
    app.route('/v1', deviceRoutes(deps.api, deps.deviceOptions));
    app.route('/v1', groupRoutes(deps.api, deps.groupOptions));
    app.route('/v1', keyPackageRoutes(deps.api, deps.keyPackageOptions));
  }

  app.notFound((c) => c.json(errorBody('not-found', 'no such endpoint'), ERROR_STATUS['not-found']));

  app.onError((err, c) => {
    // Shared code speaks in domain errors; here they become the wire contract's codes and statuses.
    const known = HttpError.is(err) ? err : DomainError.is(err) ? new HttpError(wireCodeOf(err), err.message) : null;
    const code: ErrorCode = known === null ? 'internal' : known.code;
    deps.metrics.errors.inc({ code });
    if (known !== null) return c.json({ ...known.details, ...errorBody(known.code, known.message) }, known.status);
    // Never echo or log internal details: they may contain identifiers or request bytes.
    deps.log.error({ err: { name: err.name } }, 'internal error');
    return c.json(errorBody('internal', 'internal error'), ERROR_STATUS.internal);
  });

  return app;
}
