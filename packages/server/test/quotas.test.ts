/**
 * Quotas and rate limits over HTTP (issue 16 item 6, and /metrics access): registrations and
 * challenges per source, mailboxes, device additions and requests per account, each refused with 429 and a
 * Retry-After, counted in /metrics; /metrics behind a bearer token or off.
 */
import {
  certifyDevice,
  deviceId,
  encodeDeviceCertificate,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
} from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.ts';
import { DEFAULT_QUOTAS, type QuotaOptions, Quotas } from '../src/http/quotas.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { toB64url } from '../src/wire-json.ts';
import {
  authorization,
  errorCode,
  post,
  type Registration,
  registered,
  registration,
  type TestServer,
  testServer,
} from './api-kit.ts';

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(async () => {
  await server.close();
});

const mailboxKeys = () =>
  JSON.stringify({
    recipientKey: toB64url(generateEd25519(env).publicKey),
    senderKey: toB64url(generateEd25519(env).publicKey),
  });

const ALL_OFF = { perMinute: 1e9, burst: Number.POSITIVE_INFINITY };

function appWith(quotas: Partial<QuotaOptions>, metrics = createMetrics()) {
  const q = new Quotas(
    {
      ...DEFAULT_QUOTAS,
      registrationsPerSource: ALL_OFF,
      challengesPerSource: ALL_OFF,
      requestsPerAccount: ALL_OFF,
      mailboxesPerAccount: ALL_OFF,
      deviceLinksPerAccount: ALL_OFF,
      ...quotas,
    },
    metrics,
  );
  const app = createApp({
    version: 'test',
    metrics,
    log: createLogger({ level: 'silent' }),
    api: { ...server.deps, quotas: q },
    checkDatabase: async () => true,
  });
  return { app, metrics };
}

describe('quotas', () => {
  it('limits registrations per source, and says so in /metrics', async () => {
    const { app, metrics } = appWith({ registrationsPerSource: { perMinute: 1 / 60, burst: 2 } });
    const register = async () => post(app, '/v1/accounts', (await registration(app)).body);
    expect((await register()).status).toBe(201);
    expect((await register()).status).toBe(201);
    const third = await register();
    expect(third.status).toBe(429);
    expect(await errorCode(third)).toBe('rate-limited');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    const scraped = await metrics.registry.metrics();
    expect(scraped).toContain('parley_limited_total{limit="registrations"} 1');
    expect(scraped).toContain('parley_limit{limit="registrations",bound="burst"} 2');
  });

  it('limits HTTP challenges per source', async () => {
    const { app } = appWith({ challengesPerSource: { perMinute: 1, burst: 3 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(app, '/v1/challenges')).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it('limits mailboxes created per account, not per source', async () => {
    const { app } = appWith({ mailboxesPerAccount: { perMinute: 1 / 1440, burst: 2 } });
    const create = async (reg: Registration) => {
      const body = mailboxKeys();
      const op = { method: 'POST', path: '/v1/mailboxes', body };
      return app.request('/v1/mailboxes', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await authorization(app, reg, op) },
        body,
      });
    };
    const alice = await registered(app);
    const bob = await registered(app);
    expect((await create(alice)).status).toBe(201);
    expect((await create(alice)).status).toBe(201);
    expect((await create(alice)).status).toBe(429);
    expect((await create(bob)).status).toBe(201);
  });

  it('limits device additions per account, counting refused attempts too, and says so in /metrics', async () => {
    const { app, metrics } = appWith({ deviceLinksPerAccount: { perMinute: 10 / 1440, burst: 3 } });
    const link = async (reg: Registration, id: number, identity = reg.identity) => {
      const cert = certifyDevice(env, identity, deviceId(id), generateEd25519(env).publicKey);
      const body = JSON.stringify({ deviceCertificate: toB64url(encodeDeviceCertificate(cert)) });
      const op = { method: 'POST', path: '/v1/accounts/self/devices', body };
      return app.request(op.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await authorization(app, reg, op) },
        body,
      });
    };
    const alice = await registered(app);
    const bob = await registered(app);
    expect((await link(alice, 2)).status).toBe(201);
    // A refused attempt (a certificate of another identity) spends a token too.
    expect((await link(alice, 3, generateIdentity(env))).status).toBe(400);
    expect((await link(alice, 4)).status).toBe(201);
    const over = await link(alice, 5);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await link(bob, 2)).status).toBe(201);
    const scraped = await metrics.registry.metrics();
    expect(scraped).toContain('parley_limited_total{limit="device-links"} 1');
    expect(scraped).toContain('parley_limit{limit="device-links",bound="burst"} 3');
  });

  it('limits authenticated requests per account', async () => {
    const { app } = appWith({ requestsPerAccount: { perMinute: 1, burst: 1 } });
    const alice = await registered(app);
    const create = async () => {
      const body = mailboxKeys();
      const op = { method: 'POST', path: '/v1/mailboxes', body };
      return app.request('/v1/mailboxes', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await authorization(app, alice, op) },
        body,
      });
    };
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(429);
  });
});

describe('/metrics access', () => {
  const metricsApp = (metricsAccess: 'open' | 'off' | { token: string }) =>
    createApp({
      version: 'test',
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
      checkDatabase: async () => true,
      metricsAccess,
    });

  it('is served to a bearer of the token only', async () => {
    const app = metricsApp({ token: 'scrape-me' });
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await app.request('/metrics', { headers: { authorization: 'Bearer scrape-me' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('parley_http_requests_total');
  });

  it('is not served when off', async () => {
    expect((await metricsApp('off').request('/metrics')).status).toBe(404);
  });
});
