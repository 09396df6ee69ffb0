/**
 * Which screen is shown. Kept in `history.state` (pushState with the same URL), so the browser's
 * Back and Forward buttons move between screens while the address bar never carries anything —
 * no contact ids, no links (design §3: secrets only in a fragment, cleared on use).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';

export type Route =
  | { readonly name: 'start' }
  | { readonly name: 'create' }
  | { readonly name: 'join' }
  | { readonly name: 'chats' }
  | { readonly name: 'chat'; readonly contactId: string }
  | { readonly name: 'contact'; readonly contactId: string }
  | { readonly name: 'add' }
  | { readonly name: 'invite' }
  | { readonly name: 'connect' }
  | { readonly name: 'address' }
  | { readonly name: 'requests' }
  | { readonly name: 'devices' }
  | { readonly name: 'link-device' }
  | { readonly name: 'settings' };

const SIMPLE = new Set([
  'start',
  'create',
  'join',
  'chats',
  'add',
  'invite',
  'connect',
  'address',
  'requests',
  'devices',
  'link-device',
  'settings',
]);

/** history.state is whatever an earlier page put there: read it as untrusted input. */
export function parseRoute(state: unknown): Route | null {
  if (typeof state !== 'object' || state === null) return null;
  const r = (state as { route?: unknown }).route;
  if (typeof r !== 'object' || r === null) return null;
  const { name, contactId } = r as { name?: unknown; contactId?: unknown };
  if (typeof name !== 'string') return null;
  if (SIMPLE.has(name)) return { name } as Route;
  if ((name === 'chat' || name === 'contact') && typeof contactId === 'string') return { name, contactId };
  return null;
}

export type Navigate = (route: Route, options?: { replace?: boolean }) => void;

export function useRoute(initial: Route): [Route, Navigate] {
  const [route, setRoute] = useState<Route>(() => parseRoute(history.state) ?? initial);
  useEffect(() => {
    history.replaceState({ route }, '');
    const onPop = (e: PopStateEvent) => setRoute(parseRoute(e.state) ?? initial);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
    // Registered once: `initial` is the fallback for entries this app did not write.
  }, []);
  const navigate = useCallback<Navigate>((next, options) => {
    if (options?.replace) history.replaceState({ route: next }, '');
    else history.pushState({ route: next }, '');
    setRoute(next);
  }, []);
  return [route, navigate];
}
