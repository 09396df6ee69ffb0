/** The ways to meet someone: an invitation, their link, your contact address, requests received. */
import { ScreenHeading } from '../components/screen-heading.tsx';
import { useSession } from '../state/session.ts';

export function AddContactScreen() {
  const { navigate } = useSession();
  return (
    <section class="card">
      <ScreenHeading>Add a contact</ScreenHeading>
      <ul class="choices">
        <li>
          <button type="button" class="primary" onClick={() => navigate({ name: 'invite' })}>
            Invite someone
          </button>
          <p>A one-time link (and QR code) to give to one person you trust to receive it.</p>
        </li>
        <li>
          <button type="button" onClick={() => navigate({ name: 'connect' })}>
            Use a link
          </button>
          <p>Paste (or scan) the invitation or contact address someone gave you.</p>
        </li>
        <li>
          <button type="button" onClick={() => navigate({ name: 'address' })}>
            Your contact address
          </button>
          <p>A link you can publish: anyone holding it can send you a contact request.</p>
        </li>
        <li>
          <button type="button" onClick={() => navigate({ name: 'requests' })}>
            Contact requests
          </button>
          <p>Requests people sent to your contact address: accept or reject them.</p>
        </li>
      </ul>
    </section>
  );
}
