/**
 * Importing keys into node:crypto without paying for exceptions nobody sees. Node 24's
 * createPrivateKey and createPublicKey first ask whether their argument (and the key inside it)
 * is a KeyObject or a CryptoKey, by private-field checks that throw and catch for anything else:
 * four exceptions per import, each capturing a stack trace. Measured here, alternating runs: an
 * X25519 public key import takes 38–52 µs as is and 10–17 µs without stack traces (Node 20:
 * 17–36 µs), and those throws were a fifth of session setup's time (`--cpu-prof` of
 * bench:protocol's setup loop). So imports run with `Error.stackTraceLimit` at 0, restored in
 * `finally` before anything else can run: the call is synchronous and calls back into no user
 * code. (hkdfSync tests its key the same way, and runs the same way.) An error it throws has an empty stack, and callers wrap it as the `cause` of a
 * ProtocolError made after the limit is restored.
 */
const adjustable = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true;

export function quietly<T>(importKey: () => T): T {
  if (!adjustable) return importKey();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return importKey();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
