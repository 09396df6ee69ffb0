/** The home screen: pending contact requests and the conversation list. */
import { ConversationList } from '../components/conversation-list.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { useSession } from '../state/session.ts';
import { useLoad } from '../state/use-load.ts';

export function ChatsScreen() {
  const { client, version, navigate } = useSession();
  const requests = useLoad(() => client.requests(), [client, version]);
  const n = requests.value?.length ?? 0;
  return (
    <section class="chats">
      <div class="row spread">
        <ScreenHeading>Chats</ScreenHeading>
        <button type="button" class="primary" onClick={() => navigate({ name: 'add' })}>
          Add contact
        </button>
      </div>
      {n === 0 ? null : (
        <button type="button" class="banner" onClick={() => navigate({ name: 'requests' })}>
          {n === 1 ? '1 contact request' : `${n} contact requests`} waiting
        </button>
      )}
      <ConversationList current={null} />
    </section>
  );
}
