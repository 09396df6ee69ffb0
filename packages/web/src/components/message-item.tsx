/** One message (design §3: an `<li>` with data-direction and data-status); its text always as text. */
import type { MessageView } from '../state/sdk.ts';

const STATUS: Record<string, { mark: string; words: string }> = {
  queued: { mark: '…', words: 'sending' },
  sent: { mark: '✓', words: 'sent' },
  delivered: { mark: '✓✓', words: 'delivered' },
  read: { mark: '✓✓', words: 'read' },
  failed: { mark: '✗', words: 'not delivered' },
};

/**
 * Made once: each `toLocaleTimeString`/`toLocaleDateString` call builds a new Intl formatter
 * (~0.5 ms in Chromium), and a conversation re-renders its 50 messages at every event — that
 * was the page's costliest script per message received or sent (a CPU profile of bench:web).
 */
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DAY = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const localDay = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

export function formatTime(at: number, now: number = Date.now()): string {
  const d = new Date(at);
  const time = TIME.format(d);
  return localDay(new Date(now)) === localDay(d) ? time : `${DAY.format(d)} ${time}`;
}

export function MessageItem({ message }: { message: Pick<MessageView, 'direction' | 'status' | 'text' | 'sentAt'> }) {
  const out = message.direction === 'out';
  const status = STATUS[message.status];
  return (
    <li class={`message ${out ? 'out' : 'in'}`} data-direction={message.direction} data-status={message.status}>
      <p class="text" dir="auto">
        {message.text}
      </p>
      <span class="meta">
        <time dateTime={new Date(message.sentAt).toISOString()}>{formatTime(message.sentAt)}</time>
        {out && status !== undefined ? (
          <span class={`status status-${message.status}`} title={status.words}>
            <span aria-hidden="true"> {status.mark}</span>
            <span class="sr-only"> {status.words}</span>
          </span>
        ) : null}
      </span>
    </li>
  );
}
