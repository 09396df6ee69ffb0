import type { ClientEvent, MessageView } from '@parley/client';
import { expectPositionals, numberOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { cleanLine, formatWhen, messageLines, truncate } from '../format.ts';
import {
  contactWarning,
  deviceEventContact,
  deviceNotice,
  identityChangedBox,
  isContactWarning,
  isDeviceEvent,
  Names,
  nameClashNotice,
} from '../notices.ts';

/** The longest --wait (a day); for longer, use `parley chat` or a loop. */
const MAX_WAIT_S = 86_400;

export default defineCommand({
  name: 'receive',
  summary: 'fetch new messages, contact answers and requests, and print them',
  usage: ['receive [--wait SECONDS]'],
  description: `Catches up with the server: sends what is queued, fetches everything that arrived while you were
offline and prints new messages (each one once: a message printed here is not printed again) and
notable events — contacts who connected, contact requests, and warnings: an identity-key change is
shown in a box on stderr, a message that could not be decrypted as a gap.
With --wait it then stays connected for SECONDS and prints messages as they arrive.
With --json the output is one document at the end: {"messages":[…],"events":[…],"contacts":[…]}.`,
  options: {
    wait: {
      type: 'string',
      placeholder: 'SECONDS',
      help: 'stay connected this long, printing messages as they arrive',
    },
  },
  examples: ['parley receive', 'parley receive --wait 60', 'parley receive --json | jq -r ".messages[].text"'],
  async run(ctx, args) {
    expectPositionals(args, [], 'receive');
    const waitS = numberOption(args, 'wait', 0, MAX_WAIT_S, 'receive') ?? 0;
    const client = await ctx.open();
    const names = new Names(client);
    await names.refresh();
    /** Group conversation id → its name (read again when a message names an unknown conversation). */
    let groups = new Map<string, string>();
    /** Conversation ids known not to be groups' (1:1 conversations). */
    const direct = new Set<string>();
    const groupName = async (conversationId: string): Promise<string | undefined> => {
      if (!groups.has(conversationId) && !direct.has(conversationId)) {
        groups = new Map((await client.groups()).map((g) => [g.id, g.name]));
        if (!groups.has(conversationId)) direct.add(conversationId);
      }
      const n = groups.get(conversationId);
      return n === undefined ? undefined : cleanLine(n);
    };
    const events: ClientEvent[] = [];
    const shown = new Set<string>();
    let printed = 0;
    // Output in event order: messages are printed from the inbox, asynchronously, so events wait their turn.
    let chain: Promise<void> = Promise.resolve();
    let failure: unknown = null;
    const enqueue = (f: () => Promise<void> | void) => {
      chain = chain.then(f).catch((e: unknown) => {
        failure ??= e;
      });
      ctx.finishFirst(chain);
    };
    const print = async (m: MessageView) => {
      if (shown.has(m.id)) return;
      shown.add(m.id);
      printed++;
      const group = await groupName(m.conversationId);
      const who = await names.of(m.contactId);
      ctx.print(messageLines(formatWhen(m.sentAt), group === undefined ? who : `${who} in ${group}`, m.text));
    };
    // Printed, then taken from the inbox: a crash in between prints a message twice, never zero times.
    const drain = async () => {
      for (const m of await client.unread()) await print(m);
      for (const m of await client.unread({ take: true })) await print(m);
    };
    const off = client.on((e) => {
      // Typing indicators are for an open conversation (chat), not for a mailbox being read.
      if (e.type === 'connection' || e.type === 'typing') return;
      if (e.type === 'message') {
        if (!ctx.json) enqueue(drain);
        return;
      }
      events.push(e);
      if (e.type === 'identity-changed') {
        names.set(e.contact);
        ctx.note(identityChangedBox(e.contact, (...w) => ctx.cmd(...w)));
      }
      if (e.type === 'name-clash') {
        names.set(e.contact);
        ctx.note(nameClashNotice(e, (...w) => ctx.cmd(...w)));
      }
      if (isContactWarning(e)) enqueue(async () => ctx.note(contactWarning(e, await names.of(e.contactId))));
      if (isDeviceEvent(e)) {
        const who = deviceEventContact(e);
        enqueue(async () => ctx.note(deviceNotice(e, who === null ? '' : await names.of(who))));
      }
      if (ctx.json) return;
      if (e.type === 'contact-connected') {
        names.set(e.contact);
        const name = cleanLine(e.contact.name);
        const hint = ctx.cmd('send', e.contact.name, 'TEXT');
        enqueue(() => {
          printed++;
          ctx.print(`${name} is now connected: you can send messages (${hint}).`);
        });
      }
      if (e.type === 'group' && (e.change === 'joined' || e.status === 'removed' || e.status === 'stalled')) {
        const { groupId, change, status } = e;
        enqueue(async () => {
          const name = (await groupName(groupId)) ?? 'a group';
          printed++;
          if (change === 'joined') ctx.print(`You were added to ${name} (${ctx.cmd('send', name, 'TEXT')}).`);
          else if (status === 'removed') ctx.print(`You were removed from ${name}.`);
          else ctx.print(`${name} stopped: a member who is not an admin changed it, and every member refused it.`);
        });
      }
      if (e.type === 'contact-request') {
        const r = e.request;
        enqueue(() => {
          printed++;
          ctx.print(
            `Contact request from ${cleanLine(r.name)}${r.message ? `: "${truncate(cleanLine(r.message), 200)}"` : ''}`,
          );
          ctx.print(
            `  accept: ${ctx.cmd('requests', 'accept', r.id)}    reject: ${ctx.cmd('requests', 'reject', r.id)}`,
          );
        });
      }
    });
    if (!ctx.json && waitS > 0 && process.stderr.isTTY) {
      ctx.note(`Receiving for ${waitS} s (Ctrl-C to stop)…`);
    }
    try {
      await client.sync(waitS > 0 ? { waitMs: Math.round(waitS * 1000) } : {});
    } finally {
      off();
    }
    await chain;
    if (failure !== null) throw failure;
    if (ctx.json) {
      const messages = await client.unread();
      ctx.result({ messages, events, contacts: await client.contacts() }, () => undefined);
      const take = ctx.flush().then(() => client.unread({ take: true }));
      ctx.finishFirst(take);
      await take;
      return 0;
    }
    const last = drain();
    ctx.finishFirst(last);
    await last;
    if (printed === 0) ctx.print('No new messages.');
    return 0;
  },
});
