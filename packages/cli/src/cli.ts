/**
 * `parley`: parses the command line, runs one command, reports errors and picks the exit code.
 * The caller (main.ts) closes the profile and exits; `run` never exits the process itself.
 */
import { inspect } from 'node:util';
import { GLOBAL_OPTIONS, parse, splitCommand } from './args.ts';
import { type Command, commandHelp, shortUsage } from './command.ts';
import { COMMAND_GROUPS, COMMANDS } from './commands/index.ts';
import { Context, loadSdk } from './context.ts';
import { CliError, EXIT, EXIT_CODE_HELP, exitCodeOf, isClientError, usageError } from './errors.ts';
import { cleanLine } from './format.ts';

export const VERSION = '0.1.0';

function topHelp(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((n) => n.length));
  const groups = COMMAND_GROUPS.map(
    ([title, list]) => `${title}:\n${list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}`,
  ).join('\n\n');
  const globals = Object.entries(GLOBAL_OPTIONS)
    .map(
      ([n, o]) =>
        `  ${`${o.short ? `-${o.short}, ` : ''}--${n}${o.placeholder ? ` ${o.placeholder}` : ''}`.padEnd(16)}  ${o.help}`,
    )
    .join('\n');
  return `parley ${VERSION} — end-to-end encrypted messaging from the terminal

Usage:
  parley [--home DIR] [--profile NAME] [--json] COMMAND [ARGS…]
  parley COMMAND --help
  parley help [COMMAND]

${groups}

Global options (anywhere on the line):
${globals}

Environment:
  PARLEY_PASSPHRASE  the profile passphrase (else it is asked for on the terminal, echo off)
  PARLEY_HOME        the client directory (default ~/.parley); --home overrides it
  PARLEY_DEBUG=1     print stack traces of internal errors

${EXIT_CODE_HELP}

Examples:
  parley init --server https://parley.example.org --name Alice
  parley invite                     # give the link to Bob; he runs: parley connect LINK
  parley receive                    # completes the connection
  parley verify Bob                 # compare the safety number with Bob
  parley chat Bob
`;
}

/** Runs one command line. `onContext` gets the context as soon as it exists (for signal handling). */
export async function run(
  argv: readonly string[],
  onContext: (ctx: Context) => void = () => undefined,
): Promise<number> {
  const json = argv.includes('--json');
  let command: Command | undefined;
  let ctx: Context | undefined;
  try {
    const { name, rest } = splitCommand(argv);
    if (name === undefined || name === 'help') {
      const wanted = name === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
      if (wanted !== undefined) {
        const c = COMMANDS.get(wanted);
        if (c === undefined) {
          throw usageError(`unknown command ${JSON.stringify(cleanLine(wanted))} (run \`parley --help\` for the list)`);
        }
        process.stdout.write(commandHelp(c));
        return EXIT.ok;
      }
      if (name === 'help' || rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(topHelp());
        return EXIT.ok;
      }
      if (rest.includes('--version')) {
        process.stdout.write(`parley ${VERSION}\n`);
        return EXIT.ok;
      }
      throw usageError('missing COMMAND');
    }
    command = COMMANDS.get(name);
    if (command === undefined) {
      throw usageError(`unknown command ${JSON.stringify(cleanLine(name))} (run \`parley --help\` for the list)`);
    }
    const args = parse(rest, command.options ?? {}, command.name);
    if (args.flag('help')) {
      process.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const { node } = await loadSdk();
    ctx = new Context({
      home: args.string('home') ?? node.defaultHome(),
      homeOption: args.string('home'),
      profile: args.string('profile'),
      json: args.flag('json'),
    });
    onContext(ctx);
    const code = (await command.run(ctx, args)) ?? EXIT.ok;
    await ctx.flush();
    return code;
  } catch (e) {
    // A signal closed the profiles under the command (the store is closed): the signal's exit
    // speaks for it (main.ts), not this consequential error.
    if (ctx?.closing === true) return EXIT.internal;
    return report(e, json, command);
  }
}

/** Prints an error (stderr, or a JSON document on stdout with --json); returns its exit code. */
export function report(e: unknown, json: boolean, command?: Command): number {
  let code: string;
  let message: string;
  let extra: Record<string, unknown> = {};
  if (e instanceof CliError) {
    code = e.code;
    message = e.message;
  } else if (isClientError(e)) {
    code = e.code;
    message = e.message;
    if (e.retryAfterMs !== undefined) extra = { retryAfterMs: e.retryAfterMs };
  } else {
    code = 'internal';
    message = 'internal error: this is a bug. Run again with PARLEY_DEBUG=1 for details, and please report it.';
  }
  if (process.env.PARLEY_DEBUG === '1' && e instanceof Error) {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    if (e.cause instanceof Error) process.stderr.write(`cause: ${e.cause.stack ?? e.cause.message}\n`);
  }
  if (process.env.PARLEY_DEBUG === '1' && !(e instanceof Error)) process.stderr.write(`thrown: ${inspect(e)}\n`);
  const exit = code === 'internal' ? EXIT.internal : exitCodeOf(code);
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: { code, message, ...extra } })}\n`);
    return exit;
  }
  // SDK messages may name a contact, and contact names come from peers: no terminal controls.
  process.stderr.write(`parley: ${cleanLine(message)}\n`);
  if (e instanceof CliError && e.usageOf !== undefined) {
    const c = e.usageOf === '' ? undefined : (command ?? COMMANDS.get(e.usageOf));
    process.stderr.write(c === undefined ? 'Run `parley --help` for the commands.\n' : `${shortUsage(c)}\n`);
  }
  return exit;
}
