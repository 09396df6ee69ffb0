/** Notices about events (connections, warnings), politely announced, each dismissable. */
import type { Notice } from '../state/notices.ts';

export function Notices({ notices, onDismiss }: { notices: readonly Notice[]; onDismiss: (id: number) => void }) {
  return (
    <section class="notices" aria-label="Notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} class={n.warning ? 'notice warning' : 'notice'}>
          <p dir="auto">{n.text}</p>
          <button type="button" class="small" onClick={() => onDismiss(n.id)} aria-label="Dismiss notice">
            ✕
          </button>
        </div>
      ))}
    </section>
  );
}
