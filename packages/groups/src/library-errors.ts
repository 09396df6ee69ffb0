/**
 * Mapping what ts-mls (and anything under it) throws onto {@link GroupError} codes. ts-mls has
 * its own hierarchy (mlsError.ts: codec, validation, crypto-verification, crypto, usage,
 * dependency, internal); its messages are dropped (some quote received values) and the error is
 * kept as `cause`. Anything else thrown while handling untrusted bytes — a TypeError or
 * RangeError from a hostile structure ts-mls did not anticipate — becomes `invalid`: the input
 * is rejected, the process does not crash, and the caller's state is untouched (every step is
 * state in, state out).
 */
import {
  CodecError,
  CryptoError,
  CryptoVerificationError,
  DependencyError,
  InternalError,
  UsageError,
  ValidationError,
} from 'ts-mls/mlsError.js';
import { GroupError, type GroupErrorCode } from './errors.ts';

export function toGroupError(e: unknown, fallback: GroupErrorCode = 'invalid'): GroupError {
  if (GroupError.is(e)) return e;
  const code: GroupErrorCode =
    e instanceof CodecError
      ? 'decode'
      : e instanceof ValidationError
        ? 'invalid'
        : e instanceof CryptoVerificationError || e instanceof CryptoError
          ? 'verify'
          : e instanceof UsageError
            ? 'usage'
            : e instanceof DependencyError
              ? 'dependency'
              : e instanceof InternalError
                ? 'internal'
                : fallback;
  return new GroupError(code, MESSAGES[code], { cause: e });
}

const MESSAGES: Record<GroupErrorCode, string> = {
  decode: 'malformed group message',
  invalid: 'invalid group message',
  verify: 'group message failed verification',
  credential: 'invalid member credential',
  'wrong-epoch': 'group message for an unavailable epoch',
  'wrong-group': 'group message for another group',
  'not-for-us': 'welcome not addressed to this key package',
  'key-unavailable': 'group message key unavailable',
  removed: 'removed from the group',
  unsupported: 'unsupported group parameters',
  usage: 'group engine misused',
  dependency: 'group crypto dependency failed',
  internal: 'group engine internal error',
};

/** Runs a library step; whatever it throws comes out as a GroupError. */
export async function guard<T>(step: () => Promise<T>, fallback?: GroupErrorCode): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw toGroupError(e, fallback);
  }
}
