import { clearScreenDown, createInterface, cursorTo, type Interface, moveCursor } from 'node:readline';
import type { ClientEvent, ContactView, MessageView, ParleyClient } from '@parley/client';
import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { CliError, isClientError, usageError } from '../errors.ts';
import { cleanLine, formatClock, formatDate, messageLines, safetyRows, statusMark, truncate } from '../format.ts';
import {
  contactWarning,
  deviceEventContact,
  deviceNotice,
  identityChangedBox,
  Names,
  nameClashNotice,
} from '../notices.ts';
import { checkTextLength } from '../text-limit.ts';

/** How many earlier messages the chat shows on entry (more if more are unread). */
const BACKLOG = 20;
const MAX_BACKLOG = 500;

const PROMPT = '> ';
/** Typing stops counting this long after the last key (the contact's indicator goes off). */
const TYPING_IDLE_MS = 5_000;

const HELP = `Commands:
  /help     this list
  /verify   show the safety number with this contact
  /quit     leave the chat (Ctrl-D works too)
  //text    send a message that starts with a slash
Anything else you type is sent when you press Enter.`;

/** The interactive screen: printing above the prompt without mangling what is being typed. */
class Screen {
  private rl: Interface | null = null;
  private prompting = false;
  private day = formatDate(Date.now());
  /** The last thing printed, if it was a message line that may still be redrawn ({@link update}). */
  private last: { readonly key: string; readonly text: string } | null = null;

  constructor(private readonly out: NodeJS.WriteStream) {}

  get tty(): boolean {
    return this.out.isTTY === true && process.stdin.isTTY === true;
  }

  attach(rl: Interface): void {
    this.rl = rl;
    // Closed (/quit, Ctrl-D): later lines are plain output, with no prompt to redraw.
    rl.once('close', () => {
      this.prompting = false;
      this.rl = null;
    });
  }

  /** Prints lines above the prompt line, then redraws the prompt with what was typed so far. */
  print(text: string): void {
    this.last = null;
    const rl = this.rl;
    if (this.prompting && rl !== null && this.tty) {
      moveCursor(this.out, 0, -rl.getCursorPos().rows);
      cursorTo(this.out, 0);
      clearScreenDown(this.out);
      this.out.write(`${text}\n`);
      rl.prompt(true);
    } else this.out.write(`${text}\n`);
  }

  /** A message line, with a day header when the day changes. */
  message(at: number, who: string, text: string, mark = '', key?: string): void {
    const d = formatDate(at);
    const lines = d !== this.day ? `── ${d} ──\n` : '';
    this.day = d;
    const line = messageLines(formatClock(at), who, text, mark);
    this.print(lines + line);
    if (key !== undefined) this.last = { key, text: line };
  }

  /**
   * Shows message `key` again with its new state: redrawn in place while it is still the last
   * line above the prompt, else printed anew (`again`, a shorter line) so the state is never lost.
   */
  update(key: string, line: string, again: string): void {
    const rl = this.rl;
    const last = this.last;
    if (last?.key === key && this.prompting && rl !== null && this.tty) {
      const columns = this.out.columns || 80;
      const rows = last.text.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil([...l].length / columns)), 0);
      moveCursor(this.out, 0, -(rl.getCursorPos().rows + rows));
      cursorTo(this.out, 0);
      clearScreenDown(this.out);
      this.out.write(`${line}\n`);
      rl.prompt(true);
      this.last = { key, text: line };
    } else this.print(again);
  }

  /**
   * Shows `status` ("Bob is typing…") at the start of the prompt line, or none: redrawn in place
   * with what is being typed; without a terminal, a line when it appears.
   */
  status(status: string | null): void {
    const rl = this.rl;
    if (rl === null) return;
    const next = status === null ? PROMPT : `(${status}) ${PROMPT}`;
    if (rl.getPrompt() === next) return;
    if (this.prompting && this.tty) {
      moveCursor(this.out, 0, -rl.getCursorPos().rows);
      cursorTo(this.out, 0);
      clearScreenDown(this.out);
      rl.setPrompt(next);
      rl.prompt(true);
    } else {
      rl.setPrompt(next);
      if (status !== null) this.print(`(${status})`);
    }
  }

  prompt(): void {
    if (this.rl === null) return;
    this.prompting = true;
    this.rl?.prompt(true);
  }

  /** Removes the line the user just entered (readline echoed it), so the sent message replaces it. */
  eraseEntered(line: string): void {
    if (!this.tty) return;
    const columns = this.out.columns || 80;
    const rows = Math.max(1, Math.ceil((2 + [...line].length) / columns));
    moveCursor(this.out, 0, -rows);
    cursorTo(this.out, 0);
    clearScreenDown(this.out);
  }
}

class Chat {
  private contact: ContactView;
  private readonly names: Names;
  private readonly screen = new Screen(process.stdout);
  /** Lines and events are handled one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private wasOnline = false;
  private seenOffline = false;
  private lastSent: string | null = null;
  /**
   * Typed lines are sent one after the other here, apart from `chain`: a send waiting on the
   * network never holds up incoming messages, other commands or /quit.
   */
  private sending: Promise<void> = Promise.resolve();
  /** Lines typed whose send has not finished (a quit leaves them to the outbox; the chat says so). */
  private unsettled = 0;
  private typed = 0;
  /** Whether we last told the contact we are typing, and the timer that says we stopped. */
  private typingOn = false;
  private typingIdle: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly client: ParleyClient,
    contact: ContactView,
    /** Command lines for hints (Context.cmd). */
    private readonly cmd: (...words: string[]) => string,
    /** The SDK's bound on a text (MAX_TEXT, UTF-16 units). */
    private readonly maxUnits: number,
  ) {
    this.contact = contact;
    this.names = new Names(client);
  }

  private get name(): string {
    return cleanLine(this.contact.name);
  }

  private after(f: () => Promise<void> | void): void {
    this.chain = this.chain.then(f).catch((e: unknown) => this.screen.print(`! ${errorText(e)}`));
  }

  async run(): Promise<number> {
    const { client, screen } = this;
    await this.names.refresh();
    const unread = await client.unread();
    const mine = unread.filter((m) => m.contactId === this.contact.id).length;
    const backlog = await client.messages(this.contact.id, { limit: Math.min(MAX_BACKLOG, Math.max(BACKLOG, mine)) });
    screen.print(`Chat with ${this.name} — /help for commands, /quit or Ctrl-D to leave.`);
    if (this.contact.identityChanged) screen.print(identityChangedBox(this.contact, this.cmd));
    if (this.contact.state === 'pending') {
      screen.print(`${this.name} has not answered yet: you can write once they accept (this chat will say so).`);
    }
    for (const m of backlog) this.show(m);
    const others = unread.filter((m) => m.contactId !== this.contact.id);
    if (others.length > 0) {
      screen.print(
        `(${others.length} unread message${others.length === 1 ? '' : 's'} from other contacts: ${this.cmd('receive')})`,
      );
    }
    await this.markRead();

    const off = client.on((e) => this.after(() => this.onEvent(e)));
    const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: PROMPT, historySize: 100 });
    screen.attach(rl);
    // Keystrokes (a terminal only: piped input has none) tell the contact we are typing.
    const onKey = () => setImmediate(() => this.typingNow(rl.line));
    if (screen.tty) process.stdin.on('keypress', onKey);
    let interrupted = false;
    const closed = new Promise<void>((resolve) => rl.once('close', resolve));
    rl.on('SIGINT', () => {
      interrupted = true;
      rl.close();
    });
    rl.on('line', (line) => {
      screen.eraseEntered(line);
      // /quit is not queued behind anything: leaving works at once, even with the network stuck.
      if (isQuit(line)) {
        rl.close();
        return;
      }
      if (isCommand(line)) this.after(() => this.onCommand(line));
      else this.onText(line);
    });
    try {
      await client.sync();
    } catch (e) {
      // Offline or a server hiccup: the chat still opens; the connection keeps retrying.
      if (!isClientError(e)) {
        rl.close();
        throw e;
      }
      screen.print(
        isClientError(e, 'server-unreachable')
          ? '(the server cannot be reached: messages will go out once it is back)'
          : `! ${errorText(e)}`,
      );
    }
    await client.start();
    screen.prompt();
    await closed;
    off();
    process.stdin.off('keypress', onKey);
    await this.stopTyping();
    if (this.unsettled > 0) {
      const n = this.unsettled;
      screen.print(
        `(${n} message${n === 1 ? ' was' : 's were'} still on the way: what was stored goes out with the next send, receive or chat; \`${this.cmd('history', this.contact.name)}\` shows which)`,
      );
    }
    // Events already taken are shown; sends still waiting on the network are not awaited (what
    // was stored stays queued and goes out with the next send, receive or chat).
    await this.chain;
    if (screen.tty) process.stdout.write('\n');
    return interrupted ? 130 : 0;
  }

  private show(m: MessageView): void {
    const mine = m.direction === 'out';
    this.screen.message(m.sentAt, mine ? 'You' : this.name, m.text, mine ? statusMark(m.status) : '');
  }

  /**
   * Marks this contact's messages shown here read: out of the inbox (so `parley receive` does not
   * print them again), and a read receipt to them if the settings allow (docs/client.md §4.11).
   */
  private async markRead(): Promise<void> {
    await this.client.markRead(this.contact.id);
  }

  /**
   * What is in the input line now: while it holds a message being written we are typing (the SDK
   * sends at most every 2 s); emptied, or idle for {@link TYPING_IDLE_MS}, we stopped. A command
   * (`/…`) is not typing. Sending a text ends it without a word.
   */
  private typingNow(line: string): void {
    if (this.typingIdle !== null) clearTimeout(this.typingIdle);
    this.typingIdle = null;
    const typing = line.trim() !== '' && !isCommand(line) && this.contact.state === 'connected';
    if (typing) {
      this.typingOn = true;
      this.client.typing(this.contact.id, true).catch(() => undefined);
      this.typingIdle = setTimeout(() => void this.stopTyping(), TYPING_IDLE_MS);
    } else if (this.typingOn) void this.stopTyping();
  }

  private async stopTyping(): Promise<void> {
    if (this.typingIdle !== null) clearTimeout(this.typingIdle);
    this.typingIdle = null;
    if (!this.typingOn) return;
    this.typingOn = false;
    await this.client.typing(this.contact.id, false).catch(() => undefined);
  }

  private async onEvent(e: ClientEvent): Promise<void> {
    const screen = this.screen;
    switch (e.type) {
      case 'message': {
        const m = e.message;
        if (m.contactId === this.contact.id) {
          this.show(m);
          await this.markRead();
        } else
          screen.print(
            `(new message from ${await this.names.of(m.contactId)}: ${this.cmd('chat', 'NAME')} or ${this.cmd('receive')})`,
          );
        return;
      }
      case 'sent-elsewhere':
        if (e.message.contactId === this.contact.id) this.show(e.message);
        return;
      case 'delivered':
        if (e.contactId === this.contact.id && this.lastSent !== null && e.messageIds.includes(this.lastSent)) {
          screen.print(`${' '.repeat(7)}✓✓ delivered`);
        }
        return;
      case 'read':
        if (e.contactId === this.contact.id && this.lastSent !== null && e.messageIds.includes(this.lastSent)) {
          screen.print(`${' '.repeat(7)}✓✓ read`);
        }
        return;
      case 'typing':
        if (e.contactId === this.contact.id) screen.status(e.active ? `${this.name} is typing…` : null);
        return;
      case 'contact-connected':
        this.names.set(e.contact);
        if (e.contact.id === this.contact.id) {
          this.contact = e.contact;
          screen.print(`${this.name} is now connected: you can write.`);
        } else screen.print(`(${cleanLine(e.contact.name)} is now connected)`);
        return;
      case 'contact-request':
        screen.print(`(contact request from ${cleanLine(e.request.name)}: ${this.cmd('requests')})`);
        return;
      case 'identity-changed':
        this.names.set(e.contact);
        if (e.contact.id === this.contact.id) {
          this.contact = e.contact;
          screen.print(identityChangedBox(e.contact, this.cmd));
        } else
          screen.print(
            `(⚠ ${cleanLine(e.contact.name)}'s safety number changed: ${this.cmd('verify', e.contact.name)})`,
          );
        return;
      case 'name-clash':
        this.names.set(e.contact);
        screen.print(nameClashNotice(e, this.cmd));
        return;
      case 'undecryptable':
      case 'missing':
      case 'not-delivered':
        if (e.contactId === this.contact.id) screen.print(contactWarning(e, this.name));
        return;
      case 'device-added':
      case 'device-removed':
      case 'contact-device-added':
      case 'contact-device-removed':
      case 'unknown-device':
      case 'device-list-rollback':
      case 'device-list-invalid':
      case 'device-stale':
      case 'removed-from-account': {
        const who = deviceEventContact(e);
        screen.print(`(${deviceNotice(e, who === null ? '' : await this.names.of(who))})`);
        return;
      }
      case 'connection':
        if (e.state === 'online') {
          if (this.wasOnline === false && this.seenOffline) screen.print('(back online)');
          this.wasOnline = true;
        } else if (this.wasOnline) {
          this.wasOnline = false;
          this.seenOffline = true;
          screen.print('(offline: reconnecting…)');
        }
        return;
    }
  }

  private async onCommand(raw: string): Promise<void> {
    const screen = this.screen;
    const cmd = raw.trim().toLowerCase();
    if (cmd === '/help') screen.print(HELP);
    else if (cmd === '/verify') await this.showSafetyNumber();
    else screen.print('Unknown command: /help lists them (start with // to send a message beginning with /).');
    screen.prompt();
  }

  /**
   * A typed line: shown at once as "sending", then sent in the order typed. The send may wait on
   * the network (short time-outs, retried: net/socket-connection.ts); the chat does not.
   */
  private onText(raw: string): void {
    const line = raw.trimEnd();
    const screen = this.screen;
    if (line.trim() === '') {
      screen.prompt();
      return;
    }
    const text = line.startsWith('//') ? line.slice(1) : line;
    try {
      checkTextLength(text, this.maxUnits, 'chat');
    } catch (e) {
      screen.print(`! ${errorText(e)}`);
      screen.prompt();
      return;
    }
    const key = `typed-${++this.typed}`;
    const at = Date.now();
    screen.message(at, 'You', text, '… sending', key);
    screen.prompt();
    this.unsettled++;
    // The text ends our typing on their side; no idle stop is due any more.
    if (this.typingIdle !== null) clearTimeout(this.typingIdle);
    this.typingIdle = null;
    this.typingOn = false;
    this.sending = this.sending.then(async () => {
      let mark: string;
      let note: string | null = null;
      try {
        const sent = await this.client.send(this.contact.id, text);
        this.lastSent = sent.id;
        mark = statusMark(sent.status);
        if (sent.status === 'queued') note = '(their server cannot take it right now: it will go out once it can)';
        if (sent.status === 'failed') note = `! ${this.name}'s server refused it for good: their mailbox is gone.`;
      } catch (e) {
        mark = '✗ not sent';
        note = `! ${errorText(e)}`;
      } finally {
        this.unsettled--;
      }
      const preview = truncate(cleanLine(text), 40);
      screen.update(key, messageLines(formatClock(at), 'You', text, mark), `${' '.repeat(7)}${mark} "${preview}"`);
      if (note !== null) screen.print(note);
    });
  }

  private async showSafetyNumber(): Promise<void> {
    const sn = await this.client.safetyNumber(this.contact.id);
    const c = await this.client.contact(this.contact.id);
    const confirm = this.cmd('verify', c.name, '--confirm');
    const state = c.identityChanged
      ? `⚠ CHANGED: compare it, then \`${confirm}\` (or --accept-change)`
      : c.verification === 'verified'
        ? '✓ verified'
        : `not verified: compare it with ${this.name}, then \`${confirm}\``;
    this.screen.print(
      [`Safety number with ${this.name}:`, ...safetyRows(sn.display).map((r) => `    ${r}`), state].join('\n'),
    );
  }
}

const isQuit = (line: string) => ['/quit', '/exit', '/q'].includes(line.trim().toLowerCase());
const isCommand = (line: string) => line.trimStart().startsWith('/') && !line.trimStart().startsWith('//');

function errorText(e: unknown): string {
  if (isClientError(e) || e instanceof CliError) return e.message;
  return 'internal error: the message may not have been sent (PARLEY_DEBUG=1 for details).';
}

export default defineCommand({
  name: 'chat',
  summary: 'an interactive chat with a contact in the terminal',
  usage: ['chat CONTACT'],
  description: `Opens a conversation with CONTACT in the terminal: the last ${BACKLOG} messages, then new messages as they
arrive (with their time and sender). Type a message and press Enter to send it; the line shows ✓
once their server has it, "✓✓ delivered" when their device confirms and "✓✓ read" when they read
it (if they send read receipts). While they type, the prompt says "(NAME is typing…)"; while you
type a message, they are told so (\`parley settings\` turns read receipts and typing off). Commands: /help, /verify
(the safety number), /quit (or Ctrl-D). If the contact's identity key changed, a warning is shown
on entry. Only one parley command can use a profile at a time, so other commands on this profile
wait until you leave the chat.`,
  examples: ['parley chat Bob'],
  async run(ctx, args) {
    if (ctx.json) throw usageError('chat is interactive: --json is not available for it', 'chat');
    const [who] = expectPositionals(args, ['CONTACT'], 'chat') as [string];
    const client = await ctx.open();
    const contact = await client.contact(who);
    const { client: sdk } = await ctx.sdk();
    return new Chat(client, contact, (...w) => ctx.cmd(...w), sdk.MAX_TEXT).run();
  },
});
