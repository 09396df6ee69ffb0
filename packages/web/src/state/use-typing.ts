/** Whether a contact is typing now: their `typing` events, expired after TYPING_EXPIRE_MS without a refresh. */
import { useEffect, useState } from 'preact/hooks';
import type { ParleyClient } from './sdk.ts';
import { onAppEvent } from './social.ts';

export const TYPING_EXPIRE_MS = 7000;

export function useTyping(client: ParleyClient, contactId: string): boolean {
  const [active, setActive] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = onAppEvent(client, (e) => {
      if (e.type === 'typing' && e.contactId === contactId) {
        clearTimeout(timer);
        setActive(e.active);
        if (e.active) timer = setTimeout(() => setActive(false), TYPING_EXPIRE_MS);
      } else if (e.type === 'message' && e.message.contactId === contactId) {
        clearTimeout(timer);
        setActive(false);
      }
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [client, contactId]);
  return active;
}
