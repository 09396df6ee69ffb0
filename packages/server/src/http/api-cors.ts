/**
 * CORS for the v1 API (docs/server.md "The web app"): a web app served from another origin — this
 * server's app pointed at another home server, or a contact's server reached by federation — may
 * call it. Safe to open to every origin because nothing here is ambient: the API has no cookies
 * and no session; every request that needs authority carries its own signed proof in
 * `Authorization` (protocol §3.5), which a hostile page cannot make without the keys. So
 * `Access-Control-Allow-Origin: *`, never with credentials.
 *
 * The request headers allowed are the ones the SDK sends (client net/http.ts): `Authorization`
 * (device and owner proofs), `Content-Type: application/json`, `Parley-Prekey-Grant`; the
 * response header it reads beyond the safelisted ones is `Retry-After` (a 429's wait).
 */
import { cors } from 'hono/cors';
import { GRANT_HEADER } from './routes/prekeys.ts';

/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_S = 7200;

export const API_CORS_HEADERS = ['authorization', 'content-type', GRANT_HEADER] as const;

export const apiCors = () =>
  cors({
    origin: '*',
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowHeaders: [...API_CORS_HEADERS],
    exposeHeaders: ['retry-after'],
    maxAge: PREFLIGHT_MAX_AGE_S,
  });
