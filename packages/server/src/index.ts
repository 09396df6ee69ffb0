/** @parley/server — the home server. `main.ts` is the `parley-server` command. */
export { createApp, MAX_BODY_BYTES } from './app.ts';
export { ConfigError, parseConfig, type ServerConfig } from './config.ts';
export { MAX_MAILBOX_MESSAGES } from './delivery.ts';
export { ERROR_STATUS, type ErrorCode, HttpError } from './http-error.ts';
export { createLogger, type Logger } from './logger.ts';
export { CachedMailboxStore } from './mailbox-cache.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export * from './storage/index.ts';
