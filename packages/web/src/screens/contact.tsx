/**
 * A contact: the safety number to compare (and mark verified), the identity-change decision, and
 * the local name. Scanning their code compares it for you where the browser can scan.
 */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Marks } from '../components/contact-marks.tsx';
import { Field } from '../components/field.tsx';
import { IdentityWarning } from '../components/identity-warning.tsx';
import { QrScanner } from '../components/qr-scanner.tsx';
import { SafetyNumber } from '../components/safety-number.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { isolate } from '../state/bidi.ts';
import { errorText } from '../state/errors.ts';
import { useSession } from '../state/session.ts';
import { useLoad } from '../state/use-load.ts';

export function ContactScreen({ contactId }: { contactId: string }) {
  const { client, version, navigate } = useSession();
  const [round, setRound] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string>('');
  const [newName, setNewName] = useState<string | null>(null);
  const data = useLoad(
    async () => ({ contact: await client.contact(contactId), number: await client.safetyNumber(contactId) }),
    [client, contactId, version, round],
  );
  const act = async (f: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await f();
      setSaid(done);
      setRound((n) => n + 1);
    } catch (e) {
      setError(errorText(e));
    }
  };
  if (data.value === undefined) {
    return data.error === null ? <p class="loading">Loading…</p> : <Alert message={data.error} />;
  }
  const { contact: c, number } = data.value;
  const verified = c.verification === 'verified' && !c.identityChanged;
  return (
    <section class="card">
      <button type="button" class="back" onClick={() => navigate({ name: 'chat', contactId })}>
        <span aria-hidden="true">←</span> Back to the conversation
      </button>
      <ScreenHeading>
        Verify <bdi>{c.name}</bdi>
      </ScreenHeading>
      <p>
        <Marks contact={c} />{' '}
        {c.suggestedName !== null && c.suggestedName !== c.name ? (
          <span class="hint">
            They call themselves <span dir="auto">“{c.suggestedName}”</span>.
          </span>
        ) : null}
      </p>
      <IdentityWarning contact={c} />
      <h2>Safety number</h2>
      <p>
        Compare these numbers with <bdi>{c.name}</bdi> in person or on a call (or scan each other's codes). If they
        match, nobody is in the middle of your conversation.
      </p>
      <SafetyNumber display={number.display} qrPayload={number.qrPayload} name={c.name} />
      <div class="row">
        {verified ? (
          <p class="ok">
            ✓ Verified: you compared this number with <bdi>{c.name}</bdi>.
          </p>
        ) : (
          <button
            type="button"
            class="primary"
            onClick={() => act(() => client.verify(contactId), `${isolate(c.name)} is now verified.`)}
          >
            Mark as verified
          </button>
        )}
        <QrScanner
          label="Scan their code"
          onCode={(text) =>
            text.trim() === number.qrPayload
              ? act(() => client.verify(contactId), `The codes match: ${isolate(c.name)} is now verified.`)
              : setError('The scanned code does not match this safety number: do not mark them verified.')
          }
        />
      </div>
      <h2>Name</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (newName !== null) void act(() => client.rename(contactId, newName.trim()), 'Renamed.');
        }}
      >
        <Field
          label="Contact name"
          hint="Only you see it."
          required
          maxLength={100}
          value={newName ?? c.name}
          onValue={setNewName}
        />
        <button type="submit">Rename</button>
      </form>
      <p role="status">{said}</p>
      <Alert message={error} />
    </section>
  );
}
