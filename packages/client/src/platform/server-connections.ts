/**
 * The client options every platform gives a profile: one `ServerApi` (HTTP over fetch) per
 * server URL, kept for the client's life, and `MailboxSocket` for push over the platform's
 * WebSocket (the `ws` package in Node, the browser's own in a browser).
 */
import { defaultEnv, type ProtocolEnv } from '@parley/protocol';
import type { ClientOptions } from '../client-options.ts';
import { MailboxSocket } from '../net/mailbox-socket.ts';
import { ServerApi } from '../net/server-api.ts';
import type { WebSocketConstructor } from '../net/websocket-like.ts';

export function serverConnections(
  profile: string,
  env: ProtocolEnv = defaultEnv,
  WebSocket: WebSocketConstructor,
): ClientOptions {
  const apis = new Map<string, ServerApi>();
  return {
    env,
    profile,
    api: (url) => {
      let api = apis.get(url);
      if (api === undefined) {
        api = new ServerApi(url, { env });
        apis.set(url, api);
      }
      return api;
    },
    push: (url, handlers) => new MailboxSocket(url, { ...handlers, env, WebSocket }),
  };
}
