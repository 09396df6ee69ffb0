/** A one-time invitation: its link (and the app's web form of it) with a QR code to scan. */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { CopyField } from '../components/copy-field.tsx';
import { QrCode } from '../components/qr-code.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import { webLink } from '../state/fragment.ts';
import type { InvitationView } from '../state/sdk.ts';
import { useSession } from '../state/session.ts';

export function InviteScreen() {
  const { client, navigate } = useSession();
  const [invitation, setInvitation] = useState<InvitationView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      setInvitation(await client.createInvitation());
    } catch (e) {
      setError(errorText(e));
    }
    setBusy(false);
  };
  const web = invitation === null ? null : webLink(invitation.link);
  return (
    <section class="card">
      <ScreenHeading>Invite someone</ScreenHeading>
      <p>
        An invitation works once. Give it to one person through a channel you trust — in person, or a messenger you
        already use: whoever holds it can become your contact. Then compare safety numbers to be sure.
      </p>
      {invitation === null ? (
        <button type="button" class="primary" onClick={create} disabled={busy}>
          {busy ? 'Creating…' : 'Create invitation'}
        </button>
      ) : (
        <div class="share">
          <QrCode text={web ?? invitation.link} label="QR code of the invitation" />
          <div class="share-links">
            <CopyField label="Invitation link" value={invitation.link} />
            {web === null ? null : <CopyField label="Web link" value={web} />}
            <p class="hint">
              Valid until {new Date(invitation.expiresAt).toLocaleString()}. The web link opens Parley in a browser; the
              invitation link works in any Parley app (<code>parley connect</code>).
            </p>
            <div class="row">
              <button type="button" onClick={() => navigate({ name: 'chats' })}>
                Done
              </button>
              <button type="button" onClick={create} disabled={busy}>
                Another invitation
              </button>
            </div>
          </div>
        </div>
      )}
      <Alert message={error} />
    </section>
  );
}
