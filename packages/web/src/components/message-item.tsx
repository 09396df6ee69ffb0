/** One message (design §3: an `<li>` with data-direction and data-status); its text always as text. */
import type { MessageView } from '../state/sdk.ts';

const STATUS: Record<string, { mark: string; words: string }> = {
  queued: { mark: '…', words: 'sending' },
  sent: { mark: '✓', words: 'sent' },
  delivered: { mark: '✓✓', words: 'delivered' },
  read: { mark: '✓✓', words: 'read' },
  failed: { mark: '✗', words: 'not delivered' },
};

export function formatTime(at: number, now: number = Date.now()): string {
  const d = new Date(at);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`;
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
