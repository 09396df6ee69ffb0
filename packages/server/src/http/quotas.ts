/**
 * Quotas and rate limits for what an anonymous client, or one account, may make the server do
 * (docs/server.md "Limits and quotas"). Each is a token bucket (rate-limit.ts) with a sustained
 * rate and a burst, configurable (config.ts, `parley-server --help`), and each refusal is
 * counted in `/metrics` (`parley_limited_total{limit}`) and answered `rate-limited` with a
 * `Retry-After`.
 *
 * - registrations per source (an address, an IPv6 /64: client-address.ts);
 * - challenges over HTTP per source (every proof starts with one, and each is kept in memory);
 * - requests per account, counted where a device proves itself;
 * - mailboxes created per account. A mailbox is deliberately not linked to the account that
 *   created it (mailbox-store.ts), so this is a rate, kept in memory by account only: no total
 *   per account exists to bound, and stored bytes are bounded per mailbox instead
 *   (MAX_MAILBOX_MESSAGES envelopes of at most MAX_ENVELOPE_BYTES);
 * - devices added per account (issue 18): every linking attempt that reaches the server costs one,
 *   whether or not it succeeds, so that a stolen device cannot churn devices through the account;
 * - groups created per account (issue 20). Like a mailbox, a group log is not linked to the account
 *   that created it, so this too is a rate kept in memory; stored bytes are bounded per log.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { DEFAULT_SOURCE_OPTIONS, type SourceOptions, SourceResolver } from '../client-address.ts';
import type { Metrics } from '../metrics.ts';
import { HttpError } from './http-error.ts';
import { type RateLimit, RateLimiter } from './rate-limit.ts';

export interface QuotaOptions {
  readonly registrationsPerSource: RateLimit;
  readonly challengesPerSource: RateLimit;
  readonly requestsPerAccount: RateLimit;
  readonly mailboxesPerAccount: RateLimit;
  readonly deviceLinksPerAccount: RateLimit;
  readonly groupsPerAccount: RateLimit;
  readonly sources: SourceOptions;
}

const HOUR = 60;
const DAY = 24 * 60;

/**
 * Defaults for a community server: a household behind one address registers a few accounts
 * (bursts of 5, then 10 an hour); a client subscribing all its mailboxes at once asks for
 * hundreds of challenges (bursts of 300, 120 a minute); a busy account makes a few requests a
 * second (bursts of 300, 600 a minute); an account makes a mailbox per contact and invitation
 * (bursts of 200, then 200 a day); a person links a handful of devices, and relinks one now and
 * then (bursts of 5, then 10 a day); a person starts a few groups, a busy organiser a few dozen
 * in a day (bursts of 20, then 50 a day).
 */
export const DEFAULT_QUOTAS: QuotaOptions = {
  registrationsPerSource: { perMinute: 10 / HOUR, burst: 5 },
  challengesPerSource: { perMinute: 120, burst: 300 },
  requestsPerAccount: { perMinute: 600, burst: 300 },
  mailboxesPerAccount: { perMinute: 200 / DAY, burst: 200 },
  deviceLinksPerAccount: { perMinute: 10 / DAY, burst: 5 },
  groupsPerAccount: { perMinute: 50 / DAY, burst: 20 },
  sources: DEFAULT_SOURCE_OPTIONS,
};

export type QuotaName = 'registrations' | 'challenges' | 'account-requests' | 'mailboxes' | 'device-links' | 'groups';

export class Quotas {
  readonly options: QuotaOptions;
  readonly #sources: SourceResolver;
  readonly #limiters: Record<QuotaName, RateLimiter>;
  readonly #metrics: Metrics | undefined;

  constructor(options: QuotaOptions = DEFAULT_QUOTAS, metrics?: Metrics, now?: () => number) {
    this.options = options;
    this.#sources = new SourceResolver(options.sources);
    this.#metrics = metrics;
    const limiter = (limit: RateLimit) => new RateLimiter(limit, now ? { now } : {});
    const shown: Record<QuotaName, RateLimit> = {
      registrations: options.registrationsPerSource,
      challenges: options.challengesPerSource,
      'account-requests': options.requestsPerAccount,
      mailboxes: options.mailboxesPerAccount,
      'device-links': options.deviceLinksPerAccount,
      groups: options.groupsPerAccount,
    };
    for (const [limit, { perMinute, burst }] of Object.entries(shown)) {
      metrics?.limits.set({ limit, bound: 'per_minute' }, perMinute);
      metrics?.limits.set({ limit, bound: 'burst' }, burst);
    }
    this.#limiters = {
      registrations: limiter(options.registrationsPerSource),
      challenges: limiter(options.challengesPerSource),
      'account-requests': limiter(options.requestsPerAccount),
      mailboxes: limiter(options.mailboxesPerAccount),
      'device-links': limiter(options.deviceLinksPerAccount),
      groups: limiter(options.groupsPerAccount),
    };
  }

  /** Who a request is from (client-address.ts). */
  sourceOf(c: Context): string {
    let remote: string | undefined;
    try {
      remote = getConnInfo(c).remote.address;
    } catch {
      remote = undefined; // no socket, e.g. app.request() in tests
    }
    return this.#sources.source(remote, c.req.header('x-forwarded-for'));
  }

  /** Takes one of `key`'s tokens of `quota`, or refuses the request (429 `rate-limited`). */
  take(c: Context, quota: QuotaName, key: string): void {
    const wait = this.#limiters[quota].take(key);
    if (wait === 0) return;
    this.#metrics?.limited.inc({ limit: quota });
    c.header('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
    throw new HttpError('rate-limited', 'too many requests; retry later');
  }
}
