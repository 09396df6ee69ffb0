import { defineCommand } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { cleanLine } from '../format.ts';
import { checkTextLength, MAX_TEXT_CHARS } from '../text-limit.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export default defineCommand({
  name: 'send',
  summary: 'send a text message to a contact',
  usage: ['send CONTACT TEXT...', 'send CONTACT -'],
  description: `Sends TEXT (all remaining words, joined by spaces) to CONTACT (a name from \`parley contacts\`,
any case, or a contact id). With \`-\` the text is read from stdin. A message is at most
${MAX_TEXT_CHARS} characters as they appear on screen (an emoji or a letter with its accents counts
as one; long runs of composed emoji reach the size limit sooner, and the error says so). The message is stored first and
then handed to the contact's server; if that server cannot be reached it stays queued and goes out
with the next \`send\`, \`receive\` or \`chat\`. Sending to a verified contact whose identity key
changed is refused until you check it (\`parley verify CONTACT\`).`,
  examples: ['parley send Bob see you at six', "parley send Bob 'see you at 6!'", 'uptime | parley send Bob -'],
  async run(ctx, args) {
    const [who, ...words] = args.positionals;
    if (who === undefined) throw usageError('missing CONTACT', 'send');
    if (words.length === 0) throw usageError('missing TEXT (or - to read it from stdin)', 'send');
    const text = words.length === 1 && words[0] === '-' ? await readStdin() : words.join(' ');
    if (text.trim() === '') throw usageError('the message is empty', 'send');
    checkTextLength(text, (await ctx.sdk()).client.MAX_TEXT, 'send');
    const client = await ctx.open();
    const message = await client.send(who, text);
    const group = (await client.groups()).find((g) => g.id === message.conversationId);
    if (group !== undefined) {
      ctx.result({ message }, () => ctx.print(`Sent to ${cleanLine(group.name)}.`));
      return 0;
    }
    const contact = await client.contact(message.contactId);
    if (message.status === 'failed') {
      throw new CliError(
        'send-failed',
        "The contact's server refused the message for good: their mailbox is gone (they may have deleted their account).",
      );
    }
    ctx.result({ message }, () => {
      if (message.status === 'queued') {
        ctx.print(`Queued for ${cleanLine(contact.name)}.`);
        ctx.note(
          "parley: the contact's server cannot take it right now; the message is kept and goes out with the next send, receive or chat.",
        );
      } else ctx.print(`Sent to ${cleanLine(contact.name)}.`);
    });
    return 0;
  },
});
