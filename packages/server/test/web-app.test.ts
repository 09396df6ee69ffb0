/**
 * The built web app served at `/` (http/web-app.ts), through the whole HTTP app without a socket,
 * over a small fixture of what Vite builds: index.html, hashed assets, a favicon. What must hold:
 * the SPA fallback only for HTML navigations outside the API, content types and caching, ETags,
 * compression, HEAD, the security headers, and that no request path reaches a file outside the
 * directory — encoded `../`, symlinks out of it, files added after start.
 */

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.ts';
import { acceptsHtml, loadWebApp, type WebApp } from '../src/http/web-app.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-web-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-Bx1y2z.js"></script></head></html>';
/** Big enough to be compressed. */
const SCRIPT = `console.log(${JSON.stringify('parley '.repeat(400))});\n`;
const SECRET = 'outside the web directory';

function fixture(): string {
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-Bx1y2z.js'), SCRIPT);
  writeFileSync(join(dist, 'assets', 'index-Cq3r4s.css'), 'body{margin:0}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, 'notes.unknownext'), 'what is this');
  writeFileSync(join(dist, '.parley-build'), 'stamp');
  writeFileSync(join(root, 'secret.txt'), SECRET);
  // A link out of the directory, a link to a file inside it, a link to a directory outside.
  symlinkSync(join(root, 'secret.txt'), join(dist, 'leak.txt'));
  symlinkSync(join(dist, 'favicon.svg'), join(dist, 'icon.svg'));
  symlinkSync(root, join(dist, 'up'));
  return dist;
}

const dist = fixture();

function appOver(web: WebApp, connectSrc: string[] = []) {
  return createApp({
    version: 'test',
    metrics: createMetrics(),
    log: createLogger({ level: 'silent' }),
    checkDatabase: async () => true,
    web: { app: web, connectSrc },
  });
}

const app = appOver(loadWebApp(dist));
const NAVIGATE = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the web app at /', () => {
  it('serves index.html at / with no-cache, an ETag and the security headers', async () => {
    const res = await app.request('/', { headers: NAVIGATE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]+"$/);
    expect(await res.text()).toBe(INDEX);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("connect-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('permissions-policy')).toMatch(/^camera=\(self\), microphone=\(\),/);
    // The app's own pages are not for other origins: no CORS on them.
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves index.html for other paths a browser navigates to, not for scripts or the API', async () => {
    for (const path of ['/chats/alice', '/settings', '/index.html']) {
      const res = await app.request(path, { headers: NAVIGATE });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
    }
    // A fetch or a script that does not ask for HTML gets a 404, not a page.
    expect((await app.request('/chats/alice', { headers: { accept: '*/*' } })).status).toBe(404);
    expect((await app.request('/chats/alice', { headers: { accept: 'text/html;q=0' } })).status).toBe(404);
    // A missing hashed asset is a 404 even for a navigation: HTML is never a script's body.
    expect((await app.request('/assets/index-gone.js', { headers: NAVIGATE })).status).toBe(404);
    // The API keeps its JSON answers.
    for (const path of ['/v1/nothing', '/v1', '/health/nothing', '/metrics/x']) {
      const res = await app.request(path, { headers: NAVIGATE });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
    expect((await app.request('/health')).status).toBe(200);
  });

  it('gives each file its content type, hashed assets a year immutable, others revalidation', async () => {
    const js = await app.request('/assets/index-Bx1y2z.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await js.text()).toBe(SCRIPT);
    const css = await app.request('/assets/index-Cq3r4s.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const svg = await app.request('/favicon.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
    // Unknown extensions are opaque bytes, and nosniff keeps the browser from guessing.
    const odd = await app.request('/notes.unknownext');
    expect(odd.headers.get('content-type')).toBe('application/octet-stream');
    expect(odd.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers If-None-Match with 304, and HEAD with the headers and no body', async () => {
    const first = await app.request('/assets/index-Bx1y2z.js');
    const etag = first.headers.get('etag') ?? '';
    const again = await app.request('/assets/index-Bx1y2z.js', { headers: { 'if-none-match': `"x", ${etag}` } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const changed = await app.request('/assets/index-Bx1y2z.js', { headers: { 'if-none-match': '"other"' } });
    expect(changed.status).toBe(200);

    const head = await app.request('/', { method: 'HEAD', headers: NAVIGATE });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(INDEX)));
    expect(head.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await head.text()).toBe('');
  });

  it('sends brotli or gzip when accepted, with its own ETag and Vary', async () => {
    const br = await app.request('/assets/index-Bx1y2z.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('accept-encoding');
    expect(br.headers.get('etag')).toMatch(/-br"$/);
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.length).toBeLessThan(Buffer.byteLength(SCRIPT));
    expect(brotliDecompressSync(brBytes).toString()).toBe(SCRIPT);

    const gz = await app.request('/assets/index-Bx1y2z.js', { headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(SCRIPT);

    const plain = await app.request('/assets/index-Bx1y2z.js', { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    // Too small to be worth it: sent as it is.
    const small = await app.request('/', { headers: { ...NAVIGATE, 'accept-encoding': 'br' } });
    expect(small.headers.get('content-encoding')).toBeNull();
  });

  it('never serves a file outside the directory: encoded ../, symlinks out, dotfiles, backslashes', async () => {
    const attempts = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/leak.txt',
      '/up/secret.txt',
      '/up',
      '/.parley-build',
      '/%00',
      '/%',
    ];
    for (const path of attempts) {
      for (const headers of [{ accept: '*/*' }, NAVIGATE]) {
        const res = await app.request(path, { headers });
        const body = await res.text();
        expect(body, path).not.toContain(SECRET);
        expect(body, path).not.toBe('stamp');
        // A navigation may get the app's index.html; anything else is a 404.
        if (body !== INDEX) expect(res.status, path).toBe(404);
      }
    }
    // The link to a file inside the directory is served; the others were left out at load.
    expect(await (await app.request('/icon.svg')).text()).toContain('<svg');
    const web = loadWebApp(dist);
    expect(web.built && [...web.skipped].sort()).toEqual(['leak.txt', 'up']);
  });

  it('over a socket, a raw request-target with ../ (not normalized by a client) reaches nothing outside', async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((done) => server.once('listening', done));
    const { port } = server.address() as AddressInfo;
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, headers: NAVIGATE }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
        const { status, body } = await get(path);
        expect(body, path).not.toContain(SECRET);
        if (body !== INDEX) expect([400, 404], path).toContain(status);
      }
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('serves the files found at start only: one added later is not served', async () => {
    writeFileSync(join(dist, 'later.js'), 'alert(1)');
    expect((await app.request('/later.js')).status).toBe(404);
  });

  it('puts the extra connect-src origins in the CSP, with their WebSocket scheme', async () => {
    const other = appOver(loadWebApp(dist), ['https://chat.example.org', 'http://127.0.0.1:9000']);
    const csp = (await other.request('/', { headers: NAVIGATE })).headers.get('content-security-policy');
    expect(csp).toContain(
      "connect-src 'self' https://chat.example.org wss://chat.example.org http://127.0.0.1:9000 ws://127.0.0.1:9000;",
    );
  });

  it('without a build, a navigation explains how to build it (503) and the API still answers', async () => {
    const empty = appOver(loadWebApp(join(root, 'nowhere')));
    const res = await empty.request('/', { headers: NAVIGATE });
    expect(res.status).toBe(503);
    const page = await res.text();
    expect(page).toContain('npm start');
    expect(page).not.toContain('<script');
    expect(page).not.toContain(root);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await empty.request('/assets/index.js')).status).toBe(404);
    expect((await empty.request('/health')).status).toBe(200);
  });

  it('without web (--no-web), / is the API 404', async () => {
    const none = createApp({
      version: 'test',
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
      checkDatabase: async () => true,
    });
    const res = await none.request('/', { headers: NAVIGATE });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('reads Accept as a browser sends it', () => {
    expect(acceptsHtml(NAVIGATE.accept)).toBe(true);
    expect(acceptsHtml('TEXT/HTML')).toBe(true);
    expect(acceptsHtml('*/*')).toBe(false);
    expect(acceptsHtml('application/json')).toBe(false);
    expect(acceptsHtml('text/html;q=0, */*')).toBe(false);
    expect(acceptsHtml(undefined)).toBe(false);
  });
});
