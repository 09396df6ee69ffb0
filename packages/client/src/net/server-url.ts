/**
 * A home server's address: checked once, and spelt the three ways the network layer needs — the
 * base for HTTP calls, the WebSocket URL, and the origin that error messages may show.
 */
import { SOCKET_PATH } from '@parley/protocol';
import { ClientError } from '../errors.ts';

/** The server's base URL, checked (http or https, nothing but a path) and without a trailing slash. */
export function normalizeServerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ClientError('usage', 'The server address is not a valid URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ClientError('usage', 'The server address must start with http:// or https://.');
  }
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new ClientError('usage', 'The server address must not carry a query, fragment or credentials.');
  }
  return parsed.href.replace(/\/+$/, '');
}

/** `/v1/ws` of the server: ws:// for http://, wss:// for https://. */
export function websocketUrl(serverUrl: string): string {
  return `${normalizeServerUrl(serverUrl).replace(/^http/, 'ws')}${SOCKET_PATH}`;
}

/** scheme://host:port of a server URL: all of it a message may show. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the configured address';
  }
}
