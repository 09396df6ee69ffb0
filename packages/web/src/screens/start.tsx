/**
 * The first screen: unlock a profile of this browser (or create the first one), delete one, or
 * go on to create another or to link this browser to an existing account.
 */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { Field } from '../components/field.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import type { Navigate } from '../state/route.ts';
import { type BrowserProfileInfo, deleteProfile, listProfiles, openProfile, type ParleyClient } from '../state/sdk.ts';
import { useLoad } from '../state/use-load.ts';
import { CreateProfileScreen } from './create-profile.tsx';

export interface OpenedProps {
  readonly onOpen: (client: ParleyClient, profile: string) => void;
  readonly navigate: Navigate;
  readonly pendingLink: string | null;
}

export function StartScreen(props: OpenedProps) {
  const [round, setRound] = useState(0);
  const profiles = useLoad(listProfiles, [round]);
  if (profiles.value === undefined) {
    return profiles.error === null ? <p class="loading">Loading…</p> : <Alert message={profiles.error} />;
  }
  if (profiles.value.length === 0) return <CreateProfileScreen {...props} first />;
  return <Unlock {...props} profiles={profiles.value} onDeleted={() => setRound((n) => n + 1)} />;
}

function Unlock(props: OpenedProps & { profiles: BrowserProfileInfo[]; onDeleted: () => void }) {
  const { profiles, onOpen, navigate, pendingLink } = props;
  const [profile, setProfile] = useState(profiles[0]?.name ?? '');
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const client = await openProfile({ profile, passphrase });
      onOpen(client, profile);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <section class="card narrow" aria-labelledby="unlock-title">
      <div id="unlock-title">
        <ScreenHeading>Unlock your profile</ScreenHeading>
      </div>
      {pendingLink === null ? null : (
        <p class="note">You opened a Parley link: unlock (or create) a profile to use it.</p>
      )}
      <form onSubmit={submit} aria-busy={busy}>
        {profiles.length > 1 ? (
          <div class="field">
            <label for="unlock-profile">Profile</label>
            <select id="unlock-profile" value={profile} onChange={(e) => setProfile(e.currentTarget.value)}>
              {profiles.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <p>
            Profile: <strong dir="auto">{profile}</strong>
          </p>
        )}
        <Field
          label="Passphrase"
          type="password"
          autoComplete="current-password"
          required
          value={passphrase}
          onValue={setPassphrase}
        />
        <Alert message={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
      <div class="row">
        <button type="button" onClick={() => navigate({ name: 'create' })}>
          New profile
        </button>
        <button type="button" onClick={() => navigate({ name: 'join' })}>
          Link to an existing account
        </button>
      </div>
      <ProfileList profiles={profiles} onDeleted={props.onDeleted} />
    </section>
  );
}

function ProfileList({ profiles, onDeleted }: { profiles: BrowserProfileInfo[]; onDeleted: () => void }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const remove = async (name: string) => {
    try {
      await deleteProfile(name);
      setConfirming(null);
      onDeleted();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <details class="profiles">
      <summary>Profiles in this browser</summary>
      <ul>
        {profiles.map((p) => (
          <li key={p.name}>
            <span dir="auto">{p.name}</span>
            {confirming === p.name ? (
              <Confirm label={`Delete ${p.name}?`}>
                <p>
                  Delete profile <strong dir="auto">{p.name}</strong> from this browser? Its keys, contacts and messages
                  here are gone for good. Your account and your other devices are not affected.
                </p>
                <button type="button" class="danger" onClick={() => remove(p.name)}>
                  Delete {p.name}
                </button>
                <button type="button" onClick={() => setConfirming(null)}>
                  Cancel
                </button>
              </Confirm>
            ) : (
              <button type="button" onClick={() => setConfirming(p.name)}>
                Delete…
              </button>
            )}
          </li>
        ))}
      </ul>
      <Alert message={error} />
    </details>
  );
}
