/**
 * Human-readable output: tables, times, warnings in a box, QR codes. Text that came from other
 * people (names, messages, introductions) goes through `clean` first, so that a peer cannot move
 * the cursor, recolour or clear the user's terminal, or reorder text with bidi controls.
 */
import type { MessageStatus } from '@parley/client';

/** C0 and C1 controls (but tab and newline), and the bidi embedding/override/isolate controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to remove
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Peer text for display: controls replaced, newlines kept. */
export function clean(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(UNSAFE, '\uFFFD');
}

/** Peer text on one line (names, table cells): newlines and tabs become spaces. */
export function cleanLine(text: string): string {
  return clean(text).replace(/[\n\t]/g, ' ');
}

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local `YYYY-MM-DD`. */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** Local `HH:MM`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** `HH:MM` today, else `YYYY-MM-DD HH:MM`. */
export function formatWhen(ms: number, now = Date.now()): string {
  return formatDate(ms) === formatDate(now) ? formatClock(ms) : `${formatDate(ms)} ${formatClock(ms)}`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A warning in a box, impossible to miss in a scrolling terminal. */
export function box(title: string, lines: readonly string[], width = 72): string {
  const inner = width - 4;
  const wrapped = lines.flatMap((l) => (l === '' ? [''] : wrap(l, inner)));
  const top = `┏━ ${title} ${'━'.repeat(Math.max(0, width - 5 - [...title].length))}┓`;
  const body = wrapped.map((l) => `┃ ${l}${' '.repeat(Math.max(0, inner - [...l].length))} ┃`);
  return [top, ...body, `┗${'━'.repeat(width - 2)}┛`].join('\n');
}

/** Word-wraps one paragraph to `width` columns (words longer than that are cut). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    let w = word;
    while ([...w].length > width) {
      if (line !== '') {
        out.push(line);
        line = '';
      }
      out.push([...w].slice(0, width).join(''));
      w = [...w].slice(width).join('');
    }
    if (line === '') line = w;
    else if ([...line].length + 1 + [...w].length <= width) line += ` ${w}`;
    else {
      out.push(line);
      line = w;
    }
  }
  if (line !== '') out.push(line);
  return out.length === 0 ? [''] : out;
}

/** The safety number as three rows of four groups (it arrives as 12 groups of 5 digits). */
export function safetyRows(display: string): string[] {
  const groups = display.split(/\s+/).filter((g) => g !== '');
  const rows: string[] = [];
  for (let i = 0; i < groups.length; i += 4) rows.push(groups.slice(i, i + 4).join(' '));
  return rows;
}

/** A QR code drawn with half blocks (two modules per character row). */
export async function qr(text: string): Promise<string> {
  const { renderUnicodeCompact } = await import('uqr');
  return renderUnicodeCompact(text, { ecc: 'L', border: 2 }).trimEnd();
}

/** A short mark for an outgoing message's status. */
export function statusMark(status: MessageStatus): string {
  switch (status) {
    case 'queued':
      return '(queued)';
    case 'sent':
      return '✓';
    case 'delivered':
      return '✓✓';
    case 'read':
      return '✓✓ read';
    case 'failed':
      return '✗ not delivered';
    default:
      return '';
  }
}

/**
 * One message as `HH:MM  Name: text`, continuation lines indented under the text. `when` is the
 * time column (already formatted).
 */
export function messageLines(when: string, who: string, text: string, mark = ''): string {
  const head = `${when}  ${cleanLine(who)}: `;
  const indent = ' '.repeat([...head].length);
  const lines = clean(text).split('\n');
  const body = lines.map((l, i) => (i === 0 ? head + l : indent + l)).join('\n');
  return mark === '' ? body : `${body}  ${mark}`;
}

/** A word as a POSIX shell reads it back: plain words as they are, anything else in single quotes. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${cleanLine(word).replace(/'/g, `'\\''`)}'`;
}
