/**
 * Per-requester budgets of the bundle and contact-request routes key requesters as the server's
 * quotas do (trusted proxies' X-Forwarded-For, IPv6 prefixes: client-address.ts), so that behind a
 * reverse proxy every requester is not one, and one IPv6 host is not 2^64 requesters.
 */
import { defaultEnv as env, generateEd25519 } from '@parley/protocol';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../src/http/http-error.ts';
import type { Quotas } from '../src/http/quotas.ts';
import { RateLimiter } from '../src/http/rate-limit.ts';
import { prekeyRoutes } from '../src/http/routes/prekeys.ts';
import { toB64url } from '../src/wire-json.ts';
import { type TestServer, testServer } from './api-kit.ts';

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(async () => {
  await server.close();
});

describe('requester keys', () => {
  it('bundle fetches are budgeted per source as the quotas resolve it', async () => {
    // A stand-in for Quotas.sourceOf: the source is what a trusted proxy would have said.
    const quotas = { sourceOf: (c: { req: { header(n: string): string | undefined } }) => c.req.header('x-source') };
    const app = new Hono().onError((e, c) => c.body(null, HttpError.is(e) ? e.status : 500));
    app.route(
      '/v1',
      prekeyRoutes(
        { ...server.deps, quotas: quotas as unknown as Quotas },
        { perRequester: new RateLimiter({ perMinute: 1e-6, burst: 1 }) },
      ),
    );
    const account = toB64url(generateEd25519(env).publicKey); // well-formed, unknown: 404 after the budget
    const fetchFrom = (source: string) =>
      app.request(`/v1/accounts/${account}/devices/1/bundle`, { headers: { 'x-source': source } });
    expect((await fetchFrom('198.51.100.1')).status).not.toBe(429);
    expect((await fetchFrom('198.51.100.1')).status).toBe(429);
    // Another source has a budget of its own (keyed by the remote address, both were one).
    expect((await fetchFrom('2001:db8:1:2::/64')).status).not.toBe(429);
  });
});
