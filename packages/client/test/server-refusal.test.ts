/**
 * The transport says what a server's refusal means (errors.ts `ServerRefusal`), the same over HTTP
 * and the WebSocket, so that flows never read an HTTP status.
 */
import { describe, expect, it } from 'vitest';
import { refused } from '../src/flows/context.ts';
import { malformedAnswer, refusalOf, serverError, socketError, unreachable } from '../src/net/server-errors.ts';

describe('what a refusal means', () => {
  it('maps statuses to meanings', () => {
    const table = [400, 401, 403, 404, 408, 409, 413, 500, 503, undefined].map((s) => [s, refusalOf(s)]);
    expect(table).toEqual([
      [400, 'refused'],
      [401, 'not-owner'],
      [403, 'refused'],
      [404, 'gone'],
      [408, 'later'],
      [409, 'conflict'],
      [413, 'refused'],
      [500, 'later'],
      [503, 'later'],
      [undefined, 'later'],
    ]);
  });

  it('is the same for an HTTP answer and a WebSocket error frame', () => {
    expect(serverError(404, 'not-found').refusal).toBe('gone');
    expect(socketError('not-found').refusal).toBe('gone');
    expect(socketError('unauthorized').refusal).toBe('not-owner');
    expect(socketError('something-new').refusal).toBe('later');
    expect(malformedAnswer(200).refusal).toBe('later');
  });

  it('is what flows ask about, and only server errors have one', () => {
    expect(refused(serverError(404, undefined), 'gone')).toBe(true);
    expect(refused(serverError(404, undefined), 'not-owner')).toBe(false);
    expect(refused(unreachable('http://s.example'), 'later')).toBe(false);
    expect(refused(new Error('x'), 'gone')).toBe(false);
  });
});
