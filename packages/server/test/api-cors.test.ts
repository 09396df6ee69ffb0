/**
 * CORS on the v1 API (http/api-cors.ts): a web app served from another origin can call it — the
 * preflight allows the headers the SDK sends, and every answer, errors and 429s included, is
 * readable by that origin, `Retry-After` too. Never with credentials: the API has no cookies. The
 * WebSocket accepts an upgrade from any origin for the same reason (docs/server.md "The web app").
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RateLimiter } from '../src/http/rate-limit.ts';
import { post, type TestServer, testServer } from './api-kit.ts';

let server: TestServer;

beforeAll(async () => {
  server = await testServer();
});
afterAll(() => server.close());

const ORIGIN = 'https://app.elsewhere.example';
/** A well-formed account id nobody has. */
const NOBODY = 'A'.repeat(43);

describe('CORS on /v1', () => {
  it('answers a preflight with the SDK headers and methods, no credentials', async () => {
    const res = await server.app().request('/v1/accounts', {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, parley-prekey-grant',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',');
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'parley-prekey-grant']));
    const methods = (res.headers.get('access-control-allow-methods') ?? '').split(',');
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets another origin read successes and errors alike', async () => {
    const app = server.app();
    const created = await app.request('/v1/challenges', { method: 'POST', headers: { origin: ORIGIN } });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe('*');

    const malformed = await post(app, '/v1/accounts', 'not json');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('access-control-allow-origin')).toBe('*');

    const unauthorized = await app.request('/v1/devices/self/prekey-counts', { headers: { origin: ORIGIN } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe('*');

    const unknown = await app.request('/v1/no-such-thing', { headers: { origin: ORIGIN } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('exposes Retry-After on a 429, which the SDK reads', async () => {
    const app = server.app({
      prekeyOptions: { perRequester: new RateLimiter({ perMinute: 1e-6, burst: 1 }), requesterOf: () => 'one' },
    });
    const path = `/v1/accounts/${NOBODY}/devices/1/bundle`;
    expect((await app.request(path, { headers: { origin: ORIGIN } })).status).toBe(404);
    const limited = await app.request(path, { headers: { origin: ORIGIN } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    expect(limited.headers.get('access-control-expose-headers')).toContain('retry-after');
  });

  it('keeps CORS off the operator endpoints', async () => {
    const res = await server.app().request('/health', { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('accepts a WebSocket from another origin', async () => {
    const { url, close } = await server.listen();
    try {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`, { origin: ORIGIN });
      await once(ws, 'open');
      ws.close();
      await once(ws, 'close');
    } finally {
      await close();
    }
  });
});
