/**
 * The headers that make a browser hold the web app to what it is meant to do (docs/web.md "The
 * Content-Security-Policy"): no script but the app's own files (no inline script, no eval), no
 * style but its own files, network only to this server and the origins the operator lists, never
 * framed, never sniffed, no referrer, its own browsing-context group, the camera for itself only
 * (QR codes) and no other powerful feature.
 *
 * Origins for `connect-src` come from the operator (`--web-connect-src`): each is parsed and
 * reduced to its origin, so a value can never add a directive of its own.
 */

export class WebOriginError extends Error {
  override readonly name = 'WebOriginError';
}

/**
 * `value` as a CSP source for `connect-src`: its origin (scheme, host and port), refused unless it
 * is an http(s) or ws(s) origin without credentials, path, query or fragment. An https origin also
 * allows wss on the same host (and http, ws): the SDK talks HTTP and WebSocket to one server, and
 * not every browser lets an http(s) source cover WebSocket schemes (CSP3 §6.7.2.8 does; spell it out).
 */
export function connectSources(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebOriginError('a --web-connect-src value must be an origin such as https://chat.example.org');
  }
  const http = url.protocol === 'http:' || url.protocol === 'https:';
  const ws = url.protocol === 'ws:' || url.protocol === 'wss:';
  const bare =
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    url.pathname === '/' &&
    !/[?#]$/.test(value);
  if (!(http || ws) || !bare || url.host === '') {
    throw new WebOriginError(
      'a --web-connect-src value must be an http(s) or ws(s) origin without a path, e.g. https://chat.example.org',
    );
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const pair = secure ? ['https:', 'wss:'] : ['http:', 'ws:'];
  return pair.map((scheme) => `${scheme}//${url.host}`);
}

/**
 * The Content-Security-Policy of the app. Each directive and why:
 * - `default-src 'none'`: anything not named below is refused (fonts, media, frames, workers, objects);
 * - `script-src 'self'`: only the app's own files — no inline script, no `eval`, no other origin;
 * - `style-src 'self'`: only its stylesheets — no `style` attribute or element injected by content;
 * - `img-src 'self' data: blob:`: its images, QR codes drawn as data: or blob: URLs;
 * - `connect-src 'self' …`: the SDK's HTTP and WebSocket to this server and the listed origins;
 * - `manifest-src 'self'`: an installable app's manifest;
 * - `base-uri 'none'`, `form-action 'none'`: an injected `<base>` or `<form>` cannot redirect
 *   relative URLs or submissions (the app submits its forms in script);
 * - `frame-ancestors 'none'`: never framed (clickjacking);
 * - `require-trusted-types-for 'script'` and `trusted-types 'none'`: the DOM's string-to-code
 *   sinks (`innerHTML`, `insertAdjacentHTML`, `document.write`, a script's text…) refuse plain
 *   strings, and no policy may be created to bless one — the app renders text only, so even a
 *   rendering bug cannot turn text into markup or script (where Trusted Types are implemented,
 *   Chromium first; elsewhere ignored, and the rest of the policy still holds);
 * - no `'wasm-unsafe-eval'`: the app's crypto is plain JavaScript (@noble), no WebAssembly.
 */
export function contentSecurityPolicy(connectSrc: readonly string[]): string {
  const connect = ["'self'", ...new Set(connectSrc.flatMap(connectSources))].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src ${connect}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** Every header of the app's responses (HTML, scripts, styles, images), computed once. */
export function appSecurityHeaders(connectSrc: readonly string[]): Readonly<Record<string, string>> {
  return {
    'content-security-policy': contentSecurityPolicy(connectSrc),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Its own browsing-context group: a page it opens, or that opens it, gets no handle on it.
    'cross-origin-opener-policy': 'same-origin',
    // Its files are for its own pages: another site cannot embed them as no-cors resources.
    'cross-origin-resource-policy': 'same-origin',
    // frame-ancestors' older spelling, for browsers without CSP 2.
    'x-frame-options': 'DENY',
    // The camera for scanning QR codes, on this origin only; every other powerful feature off.
    'permissions-policy':
      'camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), display-capture=()',
  };
}
