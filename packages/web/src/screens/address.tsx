/** Your contact address: create it, show it (link, web link, QR), revoke it. */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { CopyField } from '../components/copy-field.tsx';
import { QrCode } from '../components/qr-code.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import { webLink } from '../state/fragment.ts';
import { useSession } from '../state/session.ts';
import { useLoad } from '../state/use-load.ts';

export function AddressScreen() {
  const { client, navigate } = useSession();
  const [round, setRound] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const address = useLoad(() => client.address(), [client, round]);
  const act = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
      setConfirming(false);
      setRound((n) => n + 1);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const a = address.value;
  const web = a ? webLink(a.link) : null;
  return (
    <section class="card">
      <ScreenHeading>Your contact address</ScreenHeading>
      <p>
        A contact address is a link you can publish. Anyone holding it can send you a contact request with a short
        introduction; you accept or reject it. Unlike an invitation it works many times, until you revoke it.
      </p>
      {a === undefined ? null : a === null ? (
        <button type="button" class="primary" onClick={() => act(() => client.createAddress())}>
          Create contact address
        </button>
      ) : (
        <div class="share">
          <QrCode text={web ?? a.link} label="QR code of your contact address" />
          <div class="share-links">
            <CopyField label="Contact address" value={a.link} />
            {web === null ? null : <CopyField label="Web link" value={web} />}
            <p class="hint">Published {new Date(a.createdAt).toLocaleString()}.</p>
            <div class="row">
              <button type="button" onClick={() => navigate({ name: 'requests' })}>
                Contact requests
              </button>
              {confirming ? (
                <Confirm label="Revoke the address?">
                  <span>The link stops working and pending requests are deleted.</span>
                  <button type="button" class="danger" onClick={() => act(() => client.revokeAddress())}>
                    Revoke address
                  </button>
                  <button type="button" onClick={() => setConfirming(false)}>
                    Cancel
                  </button>
                </Confirm>
              ) : (
                <button type="button" class="danger" onClick={() => setConfirming(true)}>
                  Revoke…
                </button>
              )}
            </div>
          </div>
        </div>
      )}
      <Alert message={error ?? address.error} />
    </section>
  );
}
