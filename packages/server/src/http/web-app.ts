/**
 * The built web app (packages/web/dist, Vite's output) served at `/` (docs/server.md "The web
 * app"). Read into memory once at start — the whole app is a few hundred kilobytes — so a request
 * path is only ever a key looked up in a map of the files found then: `../`, encoded or not, a
 * symlink out of the directory or a file added later cannot name anything else on the disk. (Why
 * not hono's serveStatic for Node: it joins the request path onto the directory and reads the disk
 * on each request, guarded by a pattern, follows symlinks wherever they point, blocks the event
 * loop on a `statSync`, and has no ETag or conditional requests.) Rebuilding the app therefore
 * needs a restart of the server.
 *
 * - `index.html` for `/` and for any other GET of a path outside the API that accepts text/html
 *   (the app routes in the browser), `Cache-Control: no-cache` (revalidated by ETag every time, so
 *   a new build is picked up at the next load);
 * - Vite's hashed files under `/assets/` cached for a year, immutable (a new build has new names);
 *   other files (favicon, manifest) revalidated like index.html;
 * - content types by extension (never sniffed: `nosniff`), gzip or brotli for text when the
 *   browser accepts it (compressed once, then kept), ETag / If-None-Match, HEAD;
 * - the security headers (security-headers.ts) on every response of the app.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Context } from 'hono';

/** The app must fit in memory comfortably: refuse a directory that is clearly something else. */
const MAX_FILES = 2_000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
/** Smaller bodies are sent as they are: compressing them saves less than the headers cost. */
const MIN_COMPRESS_BYTES = 1024;

const YEAR_S = 365 * 24 * 3600;
const IMMUTABLE = `public, max-age=${YEAR_S}, immutable`;
const REVALIDATE = 'no-cache';

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  webmanifest: 'application/manifest+json',
  txt: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  woff: 'font/woff',
  wasm: 'application/wasm',
};
const COMPRESSIBLE = new Set(['html', 'js', 'mjs', 'css', 'json', 'map', 'webmanifest', 'txt', 'svg', 'wasm']);

export class WebAppError extends Error {
  override readonly name = 'WebAppError';
}

interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
  /** The identity representation's strong ETag; the compressed ones add `-br` / `-gz`. */
  readonly tag: string;
  readonly cache: string;
  readonly compressible: boolean;
  /** Compressed bodies, made at the first request that accepts them. */
  readonly encoded: Map<Encoding, Promise<Uint8Array>>;
}

type Encoding = 'br' | 'gzip';

/** The app found at start, or why there is none. */
export type WebApp =
  | {
      readonly built: true;
      readonly dir: string;
      readonly files: ReadonlyMap<string, Asset>;
      readonly skipped: string[];
    }
  | { readonly built: false; readonly dir: string };

/** Lists the regular files under `root` by URL path (`/assets/x.js`), refusing what leaves it. */
function walk(root: string, realRoot: string, under: string, found: Map<string, string>, skipped: string[]): void {
  for (const name of readdirSync(join(root, under)).sort()) {
    // Dotfiles are not the app's (a build stamp, an editor's or a system's droppings).
    if (name.startsWith('.')) continue;
    const rel = under === '' ? name : `${under}/${name}`;
    const path = join(root, rel);
    const link = lstatSync(path);
    if (link.isDirectory()) {
      walk(root, realRoot, rel, found, skipped);
      continue;
    }
    if (link.isSymbolicLink()) {
      // A link is served only when it ends at a regular file inside the directory.
      let target: string;
      try {
        target = realpathSync(path);
      } catch {
        skipped.push(rel);
        continue;
      }
      if (!target.startsWith(realRoot + sep) || !statSync(target).isFile()) {
        skipped.push(rel);
        continue;
      }
    } else if (!link.isFile()) {
      skipped.push(rel);
      continue;
    }
    found.set(`/${rel}`, path);
    if (found.size > MAX_FILES) throw new WebAppError(`the web directory has more than ${MAX_FILES} files`);
  }
}

/**
 * Reads the built app from `dir` (synchronously: once, at start). Without an `index.html` there
 * is no app (`built: false`); symlinks that lead out of `dir` and anything but regular files are
 * left out and listed in `skipped`.
 */
export function loadWebApp(dir: string): WebApp {
  if (!existsSync(join(dir, 'index.html'))) return { built: false, dir };
  const realRoot = realpathSync(dir);
  const found = new Map<string, string>();
  const skipped: string[] = [];
  walk(dir, realRoot, '', found, skipped);
  const files = new Map<string, Asset>();
  let total = 0;
  for (const [url, path] of found) {
    const body = readFileSync(path);
    total += body.length;
    if (total > MAX_TOTAL_BYTES) throw new WebAppError(`the web directory holds more than ${MAX_TOTAL_BYTES} bytes`);
    const ext = /\.([a-z0-9]+)$/i.exec(url)?.[1]?.toLowerCase() ?? '';
    files.set(url, {
      body,
      type: TYPES[ext] ?? 'application/octet-stream',
      tag: createHash('sha256').update(body).digest('base64url').slice(0, 27),
      cache: url.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
      compressible: COMPRESSIBLE.has(ext) && body.length >= MIN_COMPRESS_BYTES,
      encoded: new Map(),
    });
  }
  return { built: true, dir, files, skipped };
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

function compress(asset: Asset, encoding: Encoding): Promise<Uint8Array> {
  let done = asset.encoded.get(encoding);
  if (done === undefined) {
    done =
      encoding === 'br'
        ? brotli(asset.body, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: asset.body.length,
            },
          })
        : gzipAsync(asset.body, { level: constants.Z_BEST_COMPRESSION });
    // A failure is not kept: the next request tries again.
    done.catch(() => asset.encoded.delete(encoding));
    asset.encoded.set(encoding, done);
  }
  return done;
}

/** The q-values of a header like Accept or Accept-Encoding, by lower-cased token. */
function qualities(header: string | undefined): Map<string, number> {
  const q = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [token, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!token) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    q.set(token, Number.isFinite(value) ? value : 0);
  }
  return q;
}

/** Whether a request would take an HTML page: a browser's navigation says text/html explicitly. */
export function acceptsHtml(accept: string | undefined): boolean {
  return (qualities(accept).get('text/html') ?? 0) > 0;
}

function chooseEncoding(acceptEncoding: string | undefined): Encoding | null {
  const q = qualities(acceptEncoding);
  if ((q.get('br') ?? 0) > 0) return 'br';
  if ((q.get('gzip') ?? 0) > 0) return 'gzip';
  return null;
}

/** Whether If-None-Match names `etag` (weak comparison, RFC 9110 §13.1.2). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

/** The decoded path, or null for one that is malformed or has a `.`/`..` segment, a backslash or NUL. */
function cleanPath(rawPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (/[\\\0]/.test(path) || path.split('/').some((s) => s === '.' || s === '..')) return null;
  return path;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parley</title>
<h1>Parley's web app is not built</h1>
<p>This Parley server is running, but it has no web app to serve.</p>
<p>From the repository, <code>npm start</code> builds the app and starts the server. Or build it
with <code>npm run build -w @parley/web</code> and restart the server.</p>
</html>
`;

export interface WebAppHandlerOptions {
  readonly app: WebApp;
  /** Headers of every response of the app (security-headers.ts). */
  readonly headers: Readonly<Record<string, string>>;
  /** The answer to a path that names nothing (the API's JSON 404). */
  readonly notFound: (c: Context) => Response | Promise<Response>;
}

/** The GET/HEAD handler for every path outside the API (hono answers HEAD with GET's headers). */
export function webAppHandler(options: WebAppHandlerOptions): (c: Context) => Promise<Response> {
  const { app, headers } = options;
  const withHeaders = (res: Response): Response => {
    for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
    return res;
  };
  return async (c) => {
    const path = cleanPath(new URL(c.req.url).pathname);
    const html = acceptsHtml(c.req.header('accept'));
    if (!app.built) {
      if (path === null || !html) return withHeaders(await options.notFound(c));
      return withHeaders(
        new Response(NOT_BUILT_PAGE, {
          status: 503,
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
        }),
      );
    }
    let asset = path === null ? undefined : app.files.get(path === '/' ? '/index.html' : path);
    // The app's own routes: any other page a browser navigates to. Never for /assets/: a missing
    // script or style must be a 404, not a page of HTML.
    if (asset === undefined && path !== null && html && !path.startsWith('/assets/')) {
      asset = app.files.get('/index.html');
    }
    if (asset === undefined) return withHeaders(await options.notFound(c));

    const encoding = asset.compressible ? chooseEncoding(c.req.header('accept-encoding')) : null;
    const etag = `"${asset.tag}${encoding === 'br' ? '-br' : encoding === 'gzip' ? '-gz' : ''}"`;
    const common: Record<string, string> = { etag, 'cache-control': asset.cache };
    if (asset.compressible) common.vary = 'accept-encoding';
    if (matches(c.req.header('if-none-match'), etag)) {
      return withHeaders(new Response(null, { status: 304, headers: common }));
    }
    const body = encoding === null ? asset.body : await compress(asset, encoding);
    const res = new Response(body as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        ...common,
        'content-type': asset.type,
        'content-length': String(body.length),
        ...(encoding === null ? {} : { 'content-encoding': encoding }),
      },
    });
    return withHeaders(res);
  };
}
