/**
 * JSON over HTTP to one home server: a request with a deadline, an answer whose status is checked
 * and whose body is parsed — or a `ClientError` (server-errors.ts). No retries here: the callers
 * decide, and every call of the server API is safe to repeat.
 */
import { WIRE_ERROR_STATUS } from '@parley/protocol';
import type { z } from 'zod';
import type { ClientError } from '../errors.ts';
import {
  malformedAnswer,
  parseRetryAfter,
  rateLimited,
  safeServerCode,
  serverError,
  unreachable,
} from './server-errors.ts';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** From the server's base URL, e.g. `/v1/challenges`, with its query if any. */
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly authorization?: string;
  /** A prekey grant presented with a bundle fetch (`Parley-Prekey-Grant`, docs/server.md). */
  readonly prekeyGrant?: string;
  /** The statuses that mean success. */
  readonly ok: readonly number[];
  /** What a 403 means for this request, when it is more specific than `server-error`. */
  readonly forbidden?: () => ClientError;
}

export interface HttpAnswer {
  readonly status: number;
  /** The parsed body; undefined when there is none (204). */
  readonly json: unknown;
}

/** The body as sent: JSON text, which fetch sends as UTF-8. */
function bodyText(r: HttpRequest): string | undefined {
  return r.body === undefined ? undefined : JSON.stringify(r.body);
}

/**
 * The exact bytes sent as the body (empty for none): a proof binds their SHA-256 (protocol
 * §3.5.1), so the request must send what was signed, byte for byte.
 */
export function bodyBytes(r: HttpRequest): Uint8Array {
  return new TextEncoder().encode(bodyText(r) ?? '');
}

export class HttpTransport {
  constructor(
    private readonly baseUrl: string,
    private readonly origin: string,
    private readonly fetchImpl: typeof fetch,
    private readonly timeoutMs: number,
  ) {}

  async request(r: HttpRequest): Promise<HttpAnswer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (r.body !== undefined) headers['content-type'] = 'application/json';
    if (r.authorization !== undefined) headers.authorization = r.authorization;
    const body = bodyText(r);
    if (r.prekeyGrant !== undefined) headers['parley-prekey-grant'] = r.prekeyGrant;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(this.baseUrl + r.path, {
        method: r.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      throw unreachable(this.origin, e);
    }
    if (!r.ok.includes(res.status)) throw this.failure(r, res, text);
    if (text === '') return { status: res.status, json: undefined };
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      throw malformedAnswer(res.status);
    }
  }

  private failure(r: HttpRequest, res: Response, text: string): ClientError {
    if (res.status === WIRE_ERROR_STATUS['rate-limited']) {
      return rateLimited(parseRetryAfter(res.headers.get('retry-after'), Date.now()));
    }
    if (res.status === WIRE_ERROR_STATUS.forbidden && r.forbidden) return r.forbidden();
    let code: unknown;
    try {
      code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    } catch {
      code = undefined;
    }
    return serverError(res.status, safeServerCode(code));
  }
}

/** Validates an answer; anything else than the documented shape is a `server-error`. */
export function parseAnswer<S extends z.ZodType>(schema: S, answer: HttpAnswer): z.output<S> {
  const parsed = schema.safeParse(answer.json);
  if (!parsed.success) throw malformedAnswer(answer.status);
  return parsed.data;
}
