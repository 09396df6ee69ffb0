/**
 * Messages of a conversation that arrived (or were sent from another of our devices) since its
 * history was last loaded: shown at once from the event, before the reload that the same event
 * starts has finished, and dropped once the loaded history has them.
 */
import { useEffect, useState } from 'preact/hooks';
import type { MessageView, ParleyClient } from './sdk.ts';
import { onAppEvent } from './social.ts';

export function useArrivals(
  client: ParleyClient,
  contactId: string,
  loaded: readonly MessageView[] | undefined,
): MessageView[] {
  const [arrived, setArrived] = useState<MessageView[]>([]);
  useEffect(
    () =>
      onAppEvent(client, (e) => {
        if ((e.type === 'message' || e.type === 'sent-elsewhere') && e.message.contactId === contactId) {
          const m = e.message;
          setArrived((a) => (a.some((x) => x.id === m.id) ? a : [...a, m]));
        }
      }),
    [client, contactId],
  );
  const have = new Set((loaded ?? []).map((m) => m.id));
  useEffect(() => {
    if (loaded !== undefined) setArrived((a) => a.filter((m) => !have.has(m.id)));
    // `have` follows `loaded`.
  }, [loaded]);
  return arrived.filter((m) => !have.has(m.id));
}
