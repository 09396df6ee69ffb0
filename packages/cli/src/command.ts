/** The shape of a `parley` command, and its help text. */
import { type Args, GLOBAL_OPTIONS, type Options } from './args.ts';
import type { Context } from './context.ts';

export interface Command {
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** Usage lines without the leading `parley `. */
  readonly usage: readonly string[];
  /** Paragraphs explaining what it does. */
  readonly description: string;
  readonly options?: Options;
  readonly examples: readonly string[];
  /** Resolves with the exit code (0 when nothing is returned). */
  run(ctx: Context, args: Args): Promise<number | undefined>;
}

export function defineCommand(c: Command): Command {
  return c;
}

function optionLines(options: Options): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.placeholder ? ` ${o.placeholder}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
}

export function commandHelp(c: Command): string {
  const lines = [`parley ${c.name} — ${c.summary}`, '', 'Usage:', ...c.usage.map((u) => `  parley ${u}`), ''];
  lines.push(...c.description.split('\n').map((l) => (l === '' ? '' : `${l}`)), '');
  if (c.options && Object.keys(c.options).length > 0) lines.push('Options:', ...optionLines(c.options), '');
  lines.push('Global options:', ...optionLines(GLOBAL_OPTIONS), '');
  lines.push('Examples:', ...c.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

export function shortUsage(c: Command): string {
  return `Usage:\n${c.usage.map((u) => `  parley ${u}`).join('\n')}\nRun \`parley ${c.name} --help\` for more.`;
}
