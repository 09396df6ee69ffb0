/**
 * How long a message may be, counted as users see text: in grapheme clusters (Intl.Segmenter),
 * so that an emoji, a flag or a letter with its accents counts as one character. The wire keeps
 * its own bound in UTF-16 code units (the SDK's MAX_TEXT, which receivers enforce), so a text is
 * also refused when it would exceed that: this only happens with long runs of composed emoji
 * (a family emoji is 11 units), and the error says so. MAX_TEXT units are at most 3 × MAX_TEXT
 * bytes of UTF-8.
 */
import { usageError } from './errors.ts';

/** The most characters (grapheme clusters) a message may have; --help states it. */
export const MAX_TEXT_CHARS = 4000;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Characters as users see them: grapheme clusters. */
export function visibleLength(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}

/** Usage error (naming lengths, never the text) when `text` is over either limit; `maxUnits` is the SDK's MAX_TEXT. */
export function checkTextLength(text: string, maxUnits: number, command: string): void {
  // Counting graphemes of a huge paste is linear; the unit bound first keeps it bounded.
  if (text.length > maxUnits * 4) {
    throw usageError(`the message is far too long: the limit is ${MAX_TEXT_CHARS} characters`, command);
  }
  const chars = visibleLength(text);
  if (chars > MAX_TEXT_CHARS) {
    throw usageError(`the message is ${chars} characters long: the limit is ${MAX_TEXT_CHARS}`, command);
  }
  if (text.length > maxUnits) {
    throw usageError(
      `the message is too large to send: emoji and other composed characters take more room (at most ${maxUnits} UTF-16 code units, this one has ${text.length})`,
      command,
    );
  }
}
