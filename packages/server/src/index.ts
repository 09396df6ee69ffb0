/** @parley/server — the home server. `main.ts` is the `parley-server` command. */

export { ConfigError, parseConfig, type ServerConfig } from './config.ts';
export {
  createServer,
  type ListenOptions,
  type ParleyServer,
  type ServerApiOptions,
  type ServerDeps,
  serverApi,
} from './create-server.ts';
export { DomainError, type DomainErrorCode, wireCodeOf } from './domain-error.ts';
export { createApp, MAX_BODY_BYTES } from './http/app.ts';
export { ERROR_STATUS, type ErrorCode, HttpError } from './http/http-error.ts';
export { createLogger, type Logger } from './logger.ts';
export { MAX_MAILBOX_MESSAGES } from './mailboxes/delivery.ts';
export { CachedMailboxStore } from './mailboxes/mailbox-cache.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export * from './storage/index.ts';
