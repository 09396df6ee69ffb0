/**
 * The home server's wire contract, the one place both sides of the wire read it from: error
 * codes and their HTTP statuses (errors.ts), size and count limits (limits.ts), the JSON
 * WebSocket frames (json-frames.ts) and the rule for bytes in JSON (base64url.ts). The binary
 * WebSocket frames are ../socket-frames.ts. Pure: no I/O, no dependencies.
 */
export * from './base64url.ts';
export * from './errors.ts';
export * from './groups.ts';
export * from './json-frames.ts';
export * from './limits.ts';
