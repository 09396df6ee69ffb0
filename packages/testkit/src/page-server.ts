/**
 * A loopback HTTP server for a browser test's (or benchmark's) page: `/` is a blank HTML page that loads
 * `/page.js` (the test's bundle) as a module; everything else is passed on to a Parley server
 * (HTTP requests and the WebSocket upgrade of `/v1/ws`), so the page talks to that server from
 * its own origin, as the web app does when the server serves it — no CORS involved.
 * IndexedDB and Web Locks need a real origin (not about:blank); http on 127.0.0.1 is a secure
 * context, so Web Locks are there.
 */
import { createServer, request } from 'node:http';
import { connect } from 'node:net';

const HTML =
  '<!doctype html><html><head><meta charset="utf-8"><title>test</title></head><body><script type="module" src="/page.js"></script></body></html>';

export interface PageServer {
  /** `http://127.0.0.1:<port>`: the page's origin, and the Parley server's through it. */
  readonly url: string;
  close(): Promise<void>;
}

export interface PageOptions {
  /** Extra headers of the HTML page, e.g. the web app's Content-Security-Policy. */
  readonly headers?: Readonly<Record<string, string>>;
}

export async function servePage(script: string, parley: string, options: PageOptions = {}): Promise<PageServer> {
  const target = new URL(parley);
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/page.js') {
      const html = req.url === '/';
      res.writeHead(200, {
        'content-type': html ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8',
        'cache-control': 'no-store',
        ...(html ? options.headers : {}),
      });
      res.end(html ? HTML : script);
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const tunnels = new Set<{ destroy(): void }>();
  server.on('upgrade', (req, socket, head) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const upstream = connect(Number(target.port), target.hostname, () => {
      const headers = Object.entries({ ...req.headers, host: target.host }).flatMap(([k, v]) =>
        (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}\r\n`),
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('')}\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    // Either side gone (an error, a close, the test's end): the other goes too.
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        for (const socket of tunnels) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
