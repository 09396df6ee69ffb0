/**
 * One conversation: the messages (live), the typing indicator, the composer. Shown messages are
 * marked read while the page is visible; sends are shown at once and go out in the order typed.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Composer } from '../components/composer.tsx';
import { Marks } from '../components/contact-marks.tsx';
import { IdentityWarning } from '../components/identity-warning.tsx';
import { MessageList, type PendingMessage } from '../components/message-list.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { isolate } from '../state/bidi.ts';
import { errorText } from '../state/errors.ts';
import type { ContactView } from '../state/sdk.ts';
import { useSession } from '../state/session.ts';
import { markRead, typing } from '../state/social.ts';
import { useLoad } from '../state/use-load.ts';
import { useTyping } from '../state/use-typing.ts';

const PAGE = 50;

export function ConversationScreen({ contactId }: { contactId: string }) {
  const { client, version, navigate, refresh, setOpenConversation } = useSession();
  const [limit, setLimit] = useState(PAGE);
  const [reload, setReload] = useState(0);
  const [pending, setPending] = useState<PendingMessage[]>([]);
  const [error, setError] = useState<string | null>(null);
  const contact = useLoad(() => client.contact(contactId), [client, contactId, version, reload]);
  const messages = useLoad(() => client.messages(contactId, { limit }), [client, contactId, version, reload, limit]);
  const isTyping = useTyping(client, contactId);
  const sending = useRef<Promise<void>>(Promise.resolve());
  const lastMarked = useRef<string | null>(null);

  useEffect(() => {
    setOpenConversation(contactId);
    return () => setOpenConversation(null);
  }, [contactId, setOpenConversation]);

  // Read marks: for the newest incoming message shown, once the page is visible.
  const newestIn = [...(messages.value ?? [])].reverse().find((m) => m.direction === 'in')?.id ?? null;
  useEffect(() => {
    const mark = () => {
      if (newestIn === null || newestIn === lastMarked.current || document.visibilityState !== 'visible') return;
      lastMarked.current = newestIn;
      markRead(client, contactId).then(refresh, () => {
        lastMarked.current = null;
      });
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [client, contactId, newestIn, refresh]);

  const send = (text: string) => {
    const key = `pending-${Date.now()}-${Math.random()}`;
    setError(null);
    setPending((p) => [...p, { key, text, sentAt: Date.now(), status: 'queued' }]);
    sending.current = sending.current.then(async () => {
      try {
        await client.send(contactId, text);
        setPending((p) => p.filter((m) => m.key !== key));
      } catch (e) {
        setError(`Not sent: ${errorText(e)}`);
        setPending((p) => p.map((m) => (m.key === key ? { ...m, status: 'failed' } : m)));
      }
      setReload((n) => n + 1);
    });
  };

  const c = contact.value;
  if (c === undefined) {
    return contact.error === null ? <p class="loading">Loading…</p> : <Alert message={contact.error} />;
  }
  const list = messages.value ?? [];
  return (
    <section class="conversation-screen">
      <div class="conversation-head">
        <button type="button" class="back" aria-label="Back to Chats" onClick={() => navigate({ name: 'chats' })}>
          <span aria-hidden="true">←</span> Chats
        </button>
        <div class="who">
          <ScreenHeading>{c.name}</ScreenHeading>
          <Marks contact={c} />
        </div>
        <button type="button" onClick={() => navigate({ name: 'contact', contactId })}>
          {c.verification === 'verified' && !c.identityChanged ? 'Contact info' : 'Verify'}
        </button>
      </div>
      <IdentityWarning contact={c} />
      <MessageList
        conversationKey={contactId}
        messages={list}
        pending={pending}
        before={
          list.length >= limit ? (
            <button type="button" class="earlier" onClick={() => setLimit((l) => l + PAGE)}>
              Show earlier messages
            </button>
          ) : list.length === 0 && pending.length === 0 ? (
            <p class="empty">{emptyText(c)}</p>
          ) : null
        }
      />
      <p class="typing" role="status">
        {isTyping ? (
          <>
            <span dir="auto">{c.name}</span> is typing…
          </>
        ) : (
          ''
        )}
      </p>
      <Alert message={error ?? messages.error} />
      <Composer
        disabled={blocked(c)}
        onSend={send}
        onTyping={(active) => {
          typing(client, contactId, active).catch(() => undefined);
        }}
      />
    </section>
  );
}

function emptyText(c: ContactView): string {
  return c.state === 'pending'
    ? `${isolate(c.name)} has not answered yet: you can write once they accept.`
    : `No messages yet. Say hello to ${isolate(c.name)}.`;
}

/** Why sending is not possible now (the composer says it), or null. */
function blocked(c: ContactView): string | null {
  if (c.state === 'pending') return 'You can write once they answer';
  if (c.identityChanged && c.verification === 'verified') return 'Blocked: the safety number changed';
  return null;
}
