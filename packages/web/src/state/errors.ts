/** What a failure says to the person: the SDK's sentences are written for people and carry no secrets. */
import { ClientError } from './sdk.ts';

export function errorText(e: unknown): string {
  if (e instanceof ClientError) return e.message;
  if (e instanceof DOMException && e.name === 'NotAllowedError') return 'The browser did not allow this.';
  return 'Something went wrong. Try again; if it persists, reload the page.';
}

export function isCode(e: unknown, code: string): boolean {
  return e instanceof ClientError && e.code === code;
}
