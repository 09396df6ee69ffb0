/**
 * The receiving side of typing indicators (docs/client.md §4.11): a contact's indicator is on
 * from their `typing` `active: true` until they say `false`, a text from them arrives, or no
 * refresh came for the expiry period — then the SDK emits `active: false` itself, so an app never
 * shows "typing…" forever because the sender went away. Every `active: true` received is an event
 * (refreshes too, at most every 2 s per sender: an app with a timer of its own can restart it);
 * `active: false` is emitted only to end an indicator that is on.
 */
import type { ClientEvent } from './api.ts';

/** A contact's indicator without a refresh for this long goes off (senders refresh every ~2 s). */
export const TYPING_EXPIRY_MS = 6_000;

type TypingEvent = Extract<ClientEvent, { type: 'typing' }>;

export class TypingExpiry {
  private readonly on = new Map<string, { readonly event: TypingEvent; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly emit: (events: readonly ClientEvent[]) => void,
    private readonly expireAfterMs: number = TYPING_EXPIRY_MS,
  ) {}

  /** The events to hand the app for `events` just committed: indicator changes only, ends added. */
  filter(events: readonly ClientEvent[]): ClientEvent[] {
    const out: ClientEvent[] = [];
    for (const e of events) {
      if (e.type === 'typing') {
        const was = this.on.has(e.contactId);
        if (e.active) {
          this.start(e);
          out.push(e); // every refresh too: an app with a timer of its own restarts it
        } else if (was) {
          out.push(this.end(e.contactId));
        }
      } else if (e.type === 'message' && this.on.has(e.message.contactId)) {
        out.push(e, this.end(e.message.contactId));
      } else out.push(e);
    }
    return out;
  }

  /** Stops every timer (the client closes); no events. */
  close(): void {
    for (const { timer } of this.on.values()) clearTimeout(timer);
    this.on.clear();
  }

  private start(e: TypingEvent): void {
    const prev = this.on.get(e.contactId);
    if (prev !== undefined) clearTimeout(prev.timer);
    const timer = setTimeout(() => {
      if (this.on.get(e.contactId)?.timer === timer) this.emit([this.end(e.contactId)]);
    }, this.expireAfterMs);
    this.on.set(e.contactId, { event: e, timer });
  }

  private end(contactId: string): TypingEvent {
    const entry = this.on.get(contactId);
    if (entry !== undefined) clearTimeout(entry.timer);
    this.on.delete(contactId);
    const conversationId = entry?.event.conversationId ?? '';
    return { type: 'typing', conversationId, contactId, active: false };
  }
}
