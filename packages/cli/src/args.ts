/**
 * Command-line parsing with node:util `parseArgs`: global options may come before or after the
 * command; each command adds its own options. Anything unknown is a usage error (exit 2).
 */
import { parseArgs } from 'node:util';
import { usageError } from './errors.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** What the value stands for in help text (`--server URL`). */
  readonly placeholder?: string;
  readonly help: string;
}

export type Options = Readonly<Record<string, OptionSpec>>;

export const GLOBAL_OPTIONS: Options = {
  home: { type: 'string', placeholder: 'DIR', help: 'client directory (default: $PARLEY_HOME, else ~/.parley)' },
  profile: { type: 'string', placeholder: 'NAME', help: 'profile to act on (default: the default profile)' },
  json: { type: 'boolean', help: 'machine-readable output: one JSON document on stdout (errors too)' },
  help: { type: 'boolean', short: 'h', help: 'show help for the command' },
};

/** Global options that take a value: the word after them is not the command. */
const VALUED_GLOBALS = new Set(['--home', '--profile']);

/** The command word (the first positional) and the arguments without it. */
export function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    if (VALUED_GLOBALS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-') && a !== '-') continue;
    return { name: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: undefined, rest: [...argv] };
}

export interface Args {
  readonly positionals: readonly string[];
  string(name: string): string | undefined;
  flag(name: string): boolean;
}

/** Parses `argv` against the global options and `options`; `command` names the usage to show on errors. */
export function parse(argv: readonly string[], options: Options, command: string): Args {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...options })) {
    config[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(describeParseError(e), command);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  return {
    positionals: parsed.positionals,
    string: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : undefined;
    },
    flag: (name) => values[name] === true,
  };
}

/** parseArgs' messages are long and name internals; say the same in a few words. */
function describeParseError(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.includes('argument missing') || message.includes('ambiguous')
        ? `option ${option ?? ''} needs a value`
        : `option ${option ?? ''} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return 'unexpected argument';
    default:
      return message;
  }
}

/** A positive number option (`--expires 24`, `--wait 0.5`), within [min, max]. */
export function numberOption(args: Args, name: string, min: number, max: number, command: string): number | undefined {
  const raw = args.string(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw usageError(`--${name} takes a number from ${min} to ${max}`, command);
  }
  return n;
}

/** Exactly `count` positionals (after the subcommand, if any), else a usage error naming what is missing. */
export function expectPositionals(args: Args, names: readonly string[], command: string, from = 0): string[] {
  const got = args.positionals.slice(from);
  if (got.length < names.length) throw usageError(`missing ${names[got.length]}`, command);
  if (got.length > names.length) throw usageError('too many arguments (quote values that contain spaces)', command);
  return got;
}
