/**
 * The unlocked app: a header with the main actions, the notices, and the current screen. It
 * listens to the client's events: each one (but typing and connection changes) bumps `version`,
 * on which screens reload; important ones become notices, new messages in a hidden tab a
 * system notification.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ConversationList } from '../components/conversation-list.tsx';
import { Notices } from '../components/notices.tsx';
import { type Notice, noticeText } from '../state/notices.ts';
import { notifyMessage } from '../state/notify.ts';
import type { Navigate, Route } from '../state/route.ts';
import type { ParleyClient } from '../state/sdk.ts';
import { type Session, SessionContext } from '../state/session.ts';
import { onAppEvent } from '../state/social.ts';
import { AddContactScreen } from './add-contact.tsx';
import { AddressScreen } from './address.tsx';
import { ChatsScreen } from './chats.tsx';
import { ConnectScreen } from './connect.tsx';
import { ContactScreen } from './contact.tsx';
import { ConversationScreen } from './conversation.tsx';
import { DevicesScreen } from './devices.tsx';
import { InviteScreen } from './invite.tsx';
import { LinkDeviceScreen } from './link-device.tsx';
import { RequestsScreen } from './requests.tsx';
import { SettingsScreen } from './settings.tsx';

/** How long a notice that is not a warning stays. */
const NEWS_MS = 8000;
/** Events that change nothing on screen and say nothing to the person. */
const QUIET = new Set(['typing', 'connection', 'history-progress', 'last-resort-used']);
/** Events after which a contact's name may be new. */
const NAMING = new Set(['message', 'contact-connected', 'name-clash', 'identity-changed']);

export function Shell(props: {
  client: ParleyClient;
  profile: string;
  route: Route;
  navigate: Navigate;
  onLock: () => Promise<void>;
  pendingLink: string | null;
  clearPendingLink: () => void;
}) {
  const { client, route, navigate } = props;
  const [version, setVersion] = useState(0);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [online, setOnline] = useState(true);
  const names = useRef(new Map<string, string>());
  const openConversation = useRef<string | null>(null);

  useEffect(() => {
    let nextId = 1;
    const refreshNames = () =>
      client.contacts().then((cs) => {
        for (const c of cs) names.current.set(c.id, c.name);
      });
    void refreshNames().catch(() => undefined);
    const nameOf = (id: string | null) => (id === null ? 'your account' : (names.current.get(id) ?? 'a contact'));
    return onAppEvent(client, (e) => {
      if (e.type === 'connection') setOnline(e.state === 'online');
      if (QUIET.has(e.type)) return;
      setVersion((v) => v + 1);
      // Names are looked up again only for events that may bring a new one (or name someone new).
      const about = e.type === 'message' ? e.message.contactId : 'contactId' in e ? e.contactId : null;
      const renamed = NAMING.has(e.type) || (about !== null && !names.current.has(about));
      void (renamed ? refreshNames() : Promise.resolve())
        .catch(() => undefined)
        .then(() => {
          const text = noticeText(e, nameOf);
          if (text !== null) {
            const id = nextId++;
            const warning = text.startsWith('⚠');
            setNotices((ns) => [...ns.slice(-4), { id, text, warning }]);
            // News goes by itself; warnings stay until dismissed.
            if (!warning) setTimeout(() => setNotices((ns) => ns.filter((n) => n.id !== id)), NEWS_MS);
          }
          if (e.type === 'message') {
            const contactId = e.message.contactId;
            if (contactId !== openConversation.current || document.visibilityState !== 'visible') {
              notifyMessage(nameOf(contactId), () => navigate({ name: 'chat', contactId }));
            }
          }
        });
    });
  }, [client, navigate]);

  const setOpenConversation = useCallback((id: string | null) => {
    openConversation.current = id;
  }, []);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const session = useMemo<Session>(
    () => ({ client, profile: props.profile, version, navigate, refresh, lock: props.onLock, setOpenConversation }),
    [client, props.profile, version, navigate, refresh, props.onLock, setOpenConversation],
  );

  const wide = route.name === 'chat';
  return (
    <SessionContext.Provider value={session}>
      <header class="topbar">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Parley
          <span class="profile-name" dir="auto">
            {props.profile}
          </span>
          {online ? null : (
            <span class="offline" role="status">
              offline
            </span>
          )}
        </div>
        <nav aria-label="Main" class="actions">
          <button
            type="button"
            aria-current={route.name === 'chats' || route.name === 'chat' ? 'page' : undefined}
            onClick={() => navigate({ name: 'chats' })}
          >
            Chats
          </button>
          <button
            type="button"
            aria-current={route.name === 'add' ? 'page' : undefined}
            onClick={() => navigate({ name: 'add' })}
          >
            Add contact
          </button>
          <button
            type="button"
            aria-current={route.name === 'devices' ? 'page' : undefined}
            onClick={() => navigate({ name: 'devices' })}
          >
            Devices
          </button>
          <button
            type="button"
            aria-current={route.name === 'settings' ? 'page' : undefined}
            onClick={() => navigate({ name: 'settings' })}
          >
            Settings
          </button>
        </nav>
        <button type="button" class="lock" onClick={() => void props.onLock()}>
          Lock
        </button>
      </header>
      <Notices notices={notices} onDismiss={(id) => setNotices((ns) => ns.filter((n) => n.id !== id))} />
      <div class={wide ? 'layout split' : 'layout'}>
        {wide ? (
          <aside class="sidebar">
            <ConversationList current={route.name === 'chat' ? route.contactId : null} />
          </aside>
        ) : null}
        <main id="main">{screenFor(route, props.pendingLink, props.clearPendingLink)}</main>
      </div>
    </SessionContext.Provider>
  );
}

function screenFor(route: Route, pendingLink: string | null, clearPendingLink: () => void) {
  switch (route.name) {
    case 'chat':
      return <ConversationScreen key={route.contactId} contactId={route.contactId} />;
    case 'contact':
      return <ContactScreen key={route.contactId} contactId={route.contactId} />;
    case 'add':
      return <AddContactScreen />;
    case 'invite':
      return <InviteScreen />;
    case 'connect':
      return <ConnectScreen initialLink={pendingLink} onUsed={clearPendingLink} />;
    case 'address':
      return <AddressScreen />;
    case 'requests':
      return <RequestsScreen />;
    case 'devices':
      return <DevicesScreen />;
    case 'link-device':
      return <LinkDeviceScreen />;
    case 'settings':
      return <SettingsScreen />;
    default:
      return <ChatsScreen />;
  }
}
