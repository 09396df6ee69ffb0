/**
 * The one place the app gets the SDK from: `@parley/client/browser` — the SDK with the browser's
 * platform (profiles in IndexedDB under the passphrase, a Web Lock per open profile, the
 * browser's WebSocket, @noble crypto).
 */
export * from '@parley/client/browser';
