/**
 * The contact list (design §3: `<nav aria-label="Conversations">`, one button per contact whose
 * accessible name starts with the contact's name, the unread count in `data-unread`), newest
 * activity first, each with its last message.
 */

import { useSession } from '../state/session.ts';
import { conversations } from '../state/social.ts';
import { useLoad } from '../state/use-load.ts';
import { Alert } from './alert.tsx';
import { Marks } from './contact-marks.tsx';

export function ConversationList({ current }: { current: string | null }) {
  const { client, version, navigate } = useSession();
  const data = useLoad(async () => {
    const [list, contacts] = await Promise.all([conversations(client), client.contacts()]);
    const byId = new Map(contacts.map((c) => [c.id, c]));
    return list.flatMap((v) => {
      const contact = byId.get(v.contactId);
      return contact === undefined ? [] : [{ ...v, contact }];
    });
  }, [client, version]);
  const items = data.value;
  return (
    <nav aria-label="Conversations" class="conversations">
      <Alert message={data.error} />
      {items === undefined ? null : items.length === 0 ? (
        <p class="empty">No contacts yet: invite someone or use their link (Add contact).</p>
      ) : (
        <ul>
          {items.map((c) => (
            <li key={c.contactId}>
              <button
                type="button"
                class="conversation"
                aria-current={c.contactId === current ? 'page' : undefined}
                onClick={() => navigate({ name: 'chat', contactId: c.contactId })}
              >
                <span class="top">
                  <span class="name" dir="auto">
                    {c.contact.name}
                  </span>
                  <Marks contact={c.contact} />
                  {c.unread > 0 ? (
                    <span class="badge" data-unread={c.unread}>
                      {c.unread}
                      <span class="sr-only"> unread</span>
                    </span>
                  ) : null}
                </span>
                <span class="last" dir="auto">
                  {c.last === null
                    ? c.contact.state === 'pending'
                      ? 'Waiting for them to answer'
                      : 'No messages yet'
                    : `${c.last.direction === 'out' ? 'You: ' : ''}${c.last.text}`}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
