/**
 * The part of a WebSocket that `MailboxSocket` uses: what the browser's `WebSocket` and the `ws`
 * package's client share, so either can be passed in. The event handlers' parameter is typed
 * `never` so that both implementations' own event types fit; the socket reads only `event.data`
 * of message events: a string for a text frame and, once `binaryType` is `'arraybuffer'` (the
 * socket sets it), an `ArrayBuffer` for a binary one, in both.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** How binary messages arrive; `MailboxSocket` sets `'arraybuffer'`. */
  binaryType: string;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  /** A string goes as a text frame, bytes as a binary frame. */
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** `WebSocket` in a browser; `NodeWebSocket` (node-websocket.ts, the `ws` package) in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const WS_OPEN = 1;
