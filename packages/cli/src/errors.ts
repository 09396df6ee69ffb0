/**
 * Errors of the `parley` command and the exit code each one maps to. The SDK's `ClientError`
 * codes are grouped by who can fix the problem (the profile, the server, the link, the contact);
 * the CLI adds a few codes of its own (usage, passphrase, a busy profile).
 */

/** Exit codes: stable, documented in `parley --help` and the README. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  profile: 3,
  server: 4,
  link: 5,
  contact: 6,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;

const GROUPS: ReadonlyArray<readonly [number, readonly string[]]> = [
  [EXIT.usage, ['usage']],
  [
    EXIT.profile,
    [
      'no-profile',
      'profile-exists',
      'wrong-passphrase',
      'store-corrupt',
      'no-passphrase',
      'passphrase-mismatch',
      'profile-busy',
      'removed-from-account',
      'devices-changed',
    ],
  ],
  [EXIT.server, ['server-unreachable', 'server-error', 'rate-limited', 'registration-refused']],
  [
    EXIT.link,
    [
      'bad-link',
      'invitation-used',
      'invitation-expired',
      'own-link',
      'address-revoked',
      'link-code-mismatch',
      'link-expired',
      'link-used',
      'link-tampered',
      'link-aborted',
    ],
  ],
  [
    EXIT.contact,
    [
      'unknown-contact',
      'unknown-request',
      'already-contact',
      'identity-changed',
      'not-connected',
      'bad-message',
      'send-failed',
      'unknown-device',
      'unknown-group',
      'not-in-group',
      'group-busy',
      'not-admin',
    ],
  ],
  [EXIT.sigint, ['interrupted']],
];

const EXIT_OF = new Map<string, number>(GROUPS.flatMap(([exit, codes]) => codes.map((c) => [c, exit] as const)));

/** The exit code for an error code (SDK or CLI); unknown codes are internal errors. */
export function exitCodeOf(code: string): number {
  return EXIT_OF.get(code) ?? EXIT.internal;
}

/** The exit-code table, for `parley --help`. */
export const EXIT_CODE_HELP = `Exit codes:
  0    success
  1    internal error (a bug, or the disk): run again with PARLEY_DEBUG=1 for details
  2    usage: unknown command or option, missing or bad argument
  3    local profile: no-profile, profile-exists, wrong-passphrase, store-corrupt,
       no-passphrase, passphrase-mismatch, profile-busy, removed-from-account,
       devices-changed
  4    server: server-unreachable, server-error, rate-limited, registration-refused
  5    links: bad-link, invitation-used, invitation-expired, own-link, address-revoked,
       link-code-mismatch, link-expired, link-used, link-tampered, link-aborted
  6    contacts: unknown-contact, unknown-request, already-contact, identity-changed,
       not-connected, bad-message, send-failed, unknown-device, unknown-group,
       not-in-group, group-busy, not-admin
  129, 130, 143  stopped by SIGHUP, SIGINT (Ctrl-C) or SIGTERM (after closing the profile)`;

/** An error the CLI reports itself: a code, a sentence for the user, and its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  /** The command whose usage to print after the message (usage errors). */
  readonly usageOf: string | undefined;

  constructor(code: string, message: string, usageOf?: string) {
    super(message);
    this.code = code;
    this.usageOf = usageOf;
  }

  get exitCode(): number {
    return exitCodeOf(this.code);
  }
}

export function usageError(message: string, command?: string): CliError {
  return new CliError('usage', message, command ?? '');
}

/**
 * The SDK's `ClientError`, recognised without importing the SDK (so that `--help` and usage
 * errors do not pay for loading it).
 */
export interface ClientErrorLike extends Error {
  readonly name: 'ClientError';
  readonly code: string;
  readonly retryAfterMs?: number | undefined;
}

export function isClientError(e: unknown, code?: string): e is ClientErrorLike {
  return (
    e instanceof Error &&
    e.name === 'ClientError' &&
    typeof (e as { code?: unknown }).code === 'string' &&
    (code === undefined || (e as unknown as { code: string }).code === code)
  );
}
