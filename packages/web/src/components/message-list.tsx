/**
 * The messages of a conversation (design §3: role="log", aria-label="Messages"). It follows new
 * messages while the reader is at the bottom, keeps its place when they scrolled up (and when
 * earlier messages are loaded above), and remembers each conversation's place while the app runs.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import type { MessageView } from '../state/sdk.ts';
import { MessageItem } from './message-item.tsx';

/** Per conversation: distance from the bottom when last left (0: at the bottom). */
const places = new Map<string, number>();

export interface PendingMessage {
  readonly key: string;
  readonly text: string;
  readonly sentAt: number;
  readonly status: 'queued' | 'failed';
}

export function MessageList(props: {
  conversationKey: string;
  messages: readonly MessageView[];
  pending: readonly PendingMessage[];
  before?: ComponentChildren;
}) {
  const { conversationKey, messages, pending } = props;
  const box = useRef<HTMLDivElement>(null);
  const fromBottom = useRef<number>(places.get(conversationKey) ?? 0);
  const first = useRef<string | undefined>(undefined);

  const onScroll = () => {
    const el = box.current;
    if (el === null) return;
    fromBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight;
    places.set(conversationKey, fromBottom.current < 4 ? 0 : fromBottom.current);
  };

  useLayoutEffect(() => {
    const el = box.current;
    if (el === null) return;
    const atBottom = fromBottom.current < 4;
    const prepended = first.current !== undefined && messages[0]?.id !== first.current;
    if (atBottom) el.scrollTop = el.scrollHeight;
    else if (prepended || first.current === undefined) {
      el.scrollTop = el.scrollHeight - el.clientHeight - fromBottom.current;
    }
    first.current = messages[0]?.id;
  }, [messages, pending]);

  return (
    <div class="log" role="log" aria-label="Messages" ref={box} onScroll={onScroll}>
      {props.before}
      <ol class="messages">
        {messages.map((m) => (
          <MessageItem key={m.id} message={m} />
        ))}
        {pending.map((p) => (
          <MessageItem key={p.key} message={{ direction: 'out', status: p.status, text: p.text, sentAt: p.sentAt }} />
        ))}
      </ol>
    </div>
  );
}
