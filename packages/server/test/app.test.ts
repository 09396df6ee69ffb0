import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApp, MAX_BODY_BYTES } from '../src/http/app.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';

let logged = '';
const sink = new Writable({
  write(chunk, _enc, done) {
    logged += chunk.toString();
    done();
  },
});

const app = (healthy = true) =>
  createApp({
    version: 'test',
    metrics: createMetrics(),
    log: createLogger({ destination: sink }),
    checkDatabase: async () => {
      if (!healthy) throw new Error('database down');
      return true;
    },
  });

describe('HTTP app', () => {
  it('GET /health reports ok while the database answers', async () => {
    const res = await app().request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: 'test' });
  });

  it('GET /health is 503 when the database does not answer', async () => {
    const res = await app(false).request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable' });
  });

  it('GET /health/ready is ready while the database and the bus answer and it is not draining; /health/live always', async () => {
    const probe = (healthy: boolean, bus: boolean | undefined, draining: boolean) =>
      createApp({
        version: 'test',
        metrics: createMetrics(),
        log: createLogger({ destination: sink }),
        checkDatabase: async () => healthy,
        ...(bus === undefined ? {} : { checkBus: () => bus }),
        draining: () => draining,
      });
    const ready = async (a: ReturnType<typeof probe>) => {
      const res = await a.request('/health/ready');
      return { status: res.status, body: await res.json() };
    };
    expect(await ready(probe(true, undefined, false))).toEqual({
      status: 200,
      body: { status: 'ok', database: 'ok', bus: 'none', draining: false },
    });
    expect(await ready(probe(true, true, false))).toMatchObject({ status: 200, body: { bus: 'ok' } });
    expect(await ready(probe(true, false, false))).toMatchObject({ status: 503, body: { bus: 'unavailable' } });
    expect(await ready(probe(false, true, false))).toMatchObject({ status: 503, body: { database: 'unavailable' } });
    expect(await ready(probe(true, true, true))).toMatchObject({ status: 503, body: { draining: true } });
    const live = await probe(false, false, true).request('/health/live');
    expect(live.status).toBe(200);
  });

  it('/metrics says whether the bus is connected and counts its reconnections', async () => {
    const metrics = createMetrics();
    let connected = true;
    metrics.watchBus(() => connected);
    expect(await metrics.registry.metrics()).toMatch(/^parley_bus_connected 1$/m);
    connected = false;
    metrics.busReconnects.inc();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^parley_bus_connected 0$/m);
    expect(text).toMatch(/^parley_bus_reconnects_total 1$/m);
  });

  it('unknown endpoints get the typed error envelope', async () => {
    const res = await app().request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not-found', message: 'no such endpoint' } });
  });

  it('an oversized body is refused with 413 before it is read whole', async () => {
    const res = await app().request('/health', { method: 'POST', body: new Uint8Array(MAX_BODY_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'too-large', message: 'request body too large' } });
  });

  it('serves Prometheus metrics labelled by route pattern, and logs no raw path', async () => {
    const a = app();
    await a.request('/health');
    await a.request('/secret-mailbox-id-123');
    const res = await a.request('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/parley_http_requests_total\{method="GET",route="\/health",status="200"\} 1/);
    expect(text).toMatch(/parley_errors_total|parley_http_requests_total\{[^}]*status="404"/);
    expect(text).not.toContain('secret-mailbox-id-123');
    expect(logged).toContain('"route":"/health"');
    expect(logged).not.toContain('secret-mailbox-id-123');
  });
});
