/** Contact requests sent to your address: who, their introduction (as text), accept or reject. */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { formatTime } from '../components/message-item.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import { useSession } from '../state/session.ts';
import { useLoad } from '../state/use-load.ts';

export function RequestsScreen() {
  const { client, version, navigate } = useSession();
  const [round, setRound] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const requests = useLoad(() => client.requests(), [client, version, round]);
  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorText(e));
    }
    setBusy(false);
    setRound((n) => n + 1);
  };
  const list = requests.value;
  return (
    <section class="card">
      <ScreenHeading>Contact requests</ScreenHeading>
      <p class="hint">
        People who used your contact address. Their keys came from the server: compare safety numbers after accepting.
        Rejecting deletes the request; they are not told.
      </p>
      <button type="button" onClick={() => act(() => client.sync())} disabled={busy}>
        Check for new requests
      </button>
      {list === undefined ? null : list.length === 0 ? (
        <p class="empty">No contact requests.</p>
      ) : (
        <ul class="requests">
          {list.map((r) => (
            <li key={r.id} class="request">
              <p>
                <strong dir="auto">{r.name}</strong> <span class="hint">{formatTime(r.receivedAt)}</span>
              </p>
              {r.message === '' ? null : (
                <p class="text" dir="auto">
                  {r.message}
                </p>
              )}
              <div class="row">
                <button
                  type="button"
                  class="primary"
                  disabled={busy}
                  aria-label={`Accept ${r.name}`}
                  onClick={() =>
                    act(async () => {
                      const c = await client.acceptRequest(r.id);
                      navigate({ name: 'chat', contactId: c.id });
                    })
                  }
                >
                  Accept
                </button>
                <button
                  type="button"
                  disabled={busy}
                  aria-label={`Reject ${r.name}`}
                  onClick={() => act(() => client.rejectRequest(r.id))}
                >
                  Reject
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <Alert message={error ?? requests.error} />
    </section>
  );
}
