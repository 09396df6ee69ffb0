/**
 * The default WebSocket in Node: the `ws` package (Node 20 has no global WebSocket). The only
 * file of the network layer that imports it, so a browser build can pass its own `WebSocket`.
 */
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '../../net/websocket-like.ts';

export const NodeWebSocket: WebSocketConstructor = WebSocket;
