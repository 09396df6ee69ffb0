/**
 * Using someone's link: an invitation connects at once (pending until they answer); a contact
 * address sends them a contact request with an introduction. Accepts the app's web links too.
 */
import { useEffect, useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Field } from '../components/field.tsx';
import { QrScanner } from '../components/qr-scanner.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import { normalizeLink } from '../state/fragment.ts';
import { ADDRESS_PREFIX, MAX_INTRO } from '../state/sdk.ts';
import { useSession } from '../state/session.ts';

export function ConnectScreen({ initialLink, onUsed }: { initialLink: string | null; onUsed: () => void }) {
  const { client, navigate } = useSession();
  const [link, setLink] = useState(initialLink ?? '');
  const [name, setName] = useState('');
  const [intro, setIntro] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The link from the address bar is in the field now: the app forgets its copy.
  useEffect(() => {
    if (initialLink !== null) onUsed();
  }, [initialLink, onUsed]);
  const normalized = normalizeLink(link);
  const isAddress = normalized.startsWith(ADDRESS_PREFIX);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const options = name.trim() === '' ? {} : { name: name.trim() };
      const contact = isAddress
        ? await client.sendRequest(normalized, { ...options, ...(intro.trim() === '' ? {} : { message: intro }) })
        : await client.connect(normalized, options);
      navigate({ name: 'chat', contactId: contact.id }, { replace: true });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <section class="card">
      <ScreenHeading>Use a link</ScreenHeading>
      <form onSubmit={submit} aria-busy={busy}>
        <Field
          label="Invitation link"
          hint="An invitation (parley://invite/…), a contact address (parley://address/…) or a Parley web link."
          required
          autoComplete="off"
          value={link}
          onValue={setLink}
        />
        <QrScanner label="Scan a QR code" onCode={setLink} />
        <Field
          label="Name for this contact"
          hint="Optional: by default, the name they give."
          maxLength={100}
          value={name}
          onValue={setName}
        />
        {isAddress ? (
          <div class="field">
            <label for="connect-intro">Introduction</label>
            <textarea
              id="connect-intro"
              rows={3}
              maxLength={MAX_INTRO}
              dir="auto"
              value={intro}
              onInput={(e) => setIntro(e.currentTarget.value)}
            />
            <p class="hint">Who you are, for them to decide (only they can read it).</p>
          </div>
        ) : null}
        <Alert message={error} />
        <button type="submit" class="primary" disabled={busy}>
          {isAddress ? 'Send contact request' : 'Connect'}
        </button>
      </form>
    </section>
  );
}
