/**
 * The app: the start screens while no profile is open, the shell once one is. A Parley link in
 * the address bar's fragment is taken at once (and cleared), kept in memory only, and used once a
 * profile is open.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { CreateProfileScreen } from './screens/create-profile.tsx';
import { JoinAccountScreen } from './screens/join-account.tsx';
import { Shell } from './screens/shell.tsx';
import { StartScreen } from './screens/start.tsx';
import { takeFragmentLink } from './state/fragment.ts';
import { useRoute } from './state/route.ts';
import type { ParleyClient } from './state/sdk.ts';

const LOCKED_ROUTES = new Set(['start', 'create', 'join']);

export function App() {
  const [route, navigate] = useRoute({ name: 'start' });
  const [open, setOpen] = useState<{ client: ParleyClient; profile: string } | null>(null);
  const [pendingLink, setPendingLink] = useState<string | null>(() => takeFragmentLink());

  useEffect(() => {
    const onHash = () => {
      const link = takeFragmentLink();
      if (link !== null) {
        setPendingLink(link);
        if (open !== null) navigate({ name: 'connect' });
      }
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [open, navigate]);

  // Closing the tab: let the client stop (releases the profile lock at once). A page restored
  // from the back-forward cache after that starts afresh: its client is closed.
  useEffect(() => {
    if (open === null) return;
    const onHide = () => void open.client.close().catch(() => undefined);
    const onShow = (e: PageTransitionEvent) => {
      if (e.persisted) location.reload();
    };
    window.addEventListener('pagehide', onHide);
    window.addEventListener('pageshow', onShow);
    return () => {
      window.removeEventListener('pagehide', onHide);
      window.removeEventListener('pageshow', onShow);
    };
  }, [open]);

  const onOpen = useCallback(
    (client: ParleyClient, profile: string) => {
      setOpen({ client, profile });
      navigate(pendingLink !== null ? { name: 'connect' } : { name: 'chats' }, { replace: true });
      void client
        .sync()
        .catch(() => undefined)
        .then(() => client.start())
        .catch(() => undefined);
    },
    [navigate, pendingLink],
  );

  const lock = useCallback(async () => {
    const current = open;
    setOpen(null);
    navigate({ name: 'start' }, { replace: true });
    await current?.client.close().catch(() => undefined);
  }, [open, navigate]);

  const clearPendingLink = useCallback(() => setPendingLink(null), []);

  if (open === null || LOCKED_ROUTES.has(route.name)) {
    if (open !== null) {
      // Back to a start screen while unlocked: show the chats instead.
      return (
        <Shell
          client={open.client}
          profile={open.profile}
          route={{ name: 'chats' }}
          navigate={navigate}
          onLock={lock}
          pendingLink={pendingLink}
          clearPendingLink={clearPendingLink}
        />
      );
    }
    const props = { onOpen, navigate, pendingLink };
    return (
      <main id="main" class="start">
        <p class="start-brand">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Parley
        </p>
        {route.name === 'create' ? (
          <CreateProfileScreen {...props} />
        ) : route.name === 'join' ? (
          <JoinAccountScreen {...props} />
        ) : (
          <StartScreen {...props} />
        )}
      </main>
    );
  }
  return (
    <Shell
      client={open.client}
      profile={open.profile}
      route={route}
      navigate={navigate}
      onLock={lock}
      pendingLink={pendingLink}
      clearPendingLink={clearPendingLink}
    />
  );
}
