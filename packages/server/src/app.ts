/**
 * The HTTP application. Like hono's own design, it sees only web-standard Request/Response:
 * tests call `app.request(...)` without a socket, and main.ts adapts it to Node's http server.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ERROR_STATUS, errorBody, HttpError } from './http-error.ts';

/** The largest request body the server reads (an envelope is ≤ 64 KiB; JSON/base64 adds ~⅓). */
export const MAX_BODY_BYTES = 96 * 1024;

export interface AppDeps {
  /** Reports whether the database answers; /health returns 503 when it does not. */
  readonly checkDatabase: () => Promise<boolean>;
  readonly version: string;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('too-large', 'request body too large'), 413),
    }),
  );

  app.get('/health', async (c) => {
    const ok = await deps.checkDatabase().catch(() => false);
    return c.json({ status: ok ? 'ok' : 'unavailable', version: deps.version }, ok ? 200 : 503);
  });

  app.notFound((c) => c.json(errorBody('not-found', 'no such endpoint'), 404));

  app.onError((err, c) => {
    if (HttpError.is(err)) return c.json(errorBody(err.code, err.message), err.status);
    // Never echo internal details: they may contain identifiers or request bytes.
    return c.json(errorBody('internal', 'internal error'), ERROR_STATUS.internal);
  });

  return app;
}
