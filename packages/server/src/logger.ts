/**
 * Structured logs (JSON lines, pino). What may be logged is decided here, not at call sites:
 * request lines carry the method, the route *pattern*, the status and the duration — never the
 * raw path, query, headers or body, which may hold account ids, mailbox ids or key bytes.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: options.level ?? process.env.PARLEY_LOG_LEVEL ?? 'info', base: { service: 'parley-server' } },
    options.destination ?? process.stdout,
  );
}
