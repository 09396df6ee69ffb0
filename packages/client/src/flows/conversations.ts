/**
 * The conversation list (docs/client.md §4.11): one entry per contact with its unread count and
 * last message, newest activity first — read from the conversations' summaries (summaries.ts),
 * one record and one message per conversation.
 */
import type { ConversationView } from '../api.ts';
import { messageView } from '../views.ts';
import { listContacts } from './contact-lookup.ts';
import { type ClientContext, getMessage } from './context.ts';
import { summaryReader } from './summaries.ts';

export async function conversations(ctx: ClientContext): Promise<ConversationView[]> {
  const read = summaryReader(ctx.store);
  const out: { view: ConversationView; at: number }[] = [];
  for (const c of await listContacts(ctx)) {
    const s = await read(c.conversationId);
    const m = s.lastId === null ? undefined : await getMessage(ctx, c.conversationId, s.lastId);
    out.push({
      view: { id: c.conversationId, contactId: c.id, unread: s.unread, last: m ? messageView(m, c.id) : null },
      // Our clock (when stored), never the sender's: a contact cannot move itself to the top.
      at: m ? s.lastAt : c.createdAt,
    });
  }
  return out.sort((a, b) => b.at - a.at).map((e) => e.view);
}
