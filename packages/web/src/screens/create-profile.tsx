/** Creating a profile: a new identity registered on a server (this page's own by default). */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Field } from '../components/field.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import { createProfile } from '../state/sdk.ts';
import type { OpenedProps } from './start.tsx';

export const MIN_PASSPHRASE = 8;

export function CreateProfileScreen(props: OpenedProps & { first?: boolean }) {
  const [profile, setProfile] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [server, setServer] = useState(location.origin);
  const [registrationKey, setRegistrationKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (passphrase.length < MIN_PASSPHRASE) {
      setError(`Choose a passphrase of at least ${MIN_PASSPHRASE} characters.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const key = registrationKey.trim();
      const client = await createProfile({
        profile: profile.trim(),
        passphrase,
        server: server.trim(),
        displayName,
        ...(key === '' ? {} : { registrationKey: key }),
      });
      props.onOpen(client, profile.trim());
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <section class="card narrow">
      <ScreenHeading>{props.first ? 'Welcome to Parley' : 'Create a profile'}</ScreenHeading>
      {props.first ? (
        <p>
          Parley is an end-to-end encrypted messenger: your keys stay in this browser, encrypted under your passphrase,
          and the server only passes sealed messages along.
        </p>
      ) : null}
      {props.pendingLink === null ? null : (
        <p class="note">You opened a Parley link: create a profile (or unlock one) to use it.</p>
      )}
      <form onSubmit={submit} aria-busy={busy}>
        <Field
          label="Profile name"
          hint="Only for you, to tell profiles apart in this browser: letters, digits, - or _."
          required
          pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,31}"
          autoComplete="off"
          value={profile}
          onValue={setProfile}
        />
        <Field
          label="Your name"
          hint="What the people you meet see (sent to them end-to-end encrypted)."
          required
          maxLength={100}
          autoComplete="name"
          value={displayName}
          onValue={setDisplayName}
        />
        <Field
          label="Passphrase"
          type="password"
          hint={`At least ${MIN_PASSPHRASE} characters. It encrypts your keys and messages in this browser; it cannot be recovered.`}
          required
          autoComplete="new-password"
          value={passphrase}
          onValue={setPassphrase}
        />
        <Field
          label="Server"
          type="url"
          hint="Where your account lives and your messages wait for you."
          required
          value={server}
          onValue={setServer}
        />
        <details>
          <summary>Private server?</summary>
          <Field
            label="Registration key"
            hint="Only if the server's operator gave you one."
            value={registrationKey}
            onValue={setRegistrationKey}
          />
        </details>
        <Alert message={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create profile'}
        </button>
      </form>
      <div class="row">
        {props.first ? null : (
          <button type="button" onClick={() => props.navigate({ name: 'start' })}>
            Back
          </button>
        )}
        <button type="button" onClick={() => props.navigate({ name: 'join' })}>
          Link to an existing account
        </button>
      </div>
    </section>
  );
}
