/**
 * Settings: what this profile tells contacts (read receipts, typing), notifications, who you are
 * here, and the two irreversible actions (new identity keys, deleting the account).
 */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import { askNotifications, notificationsSupported } from '../state/notify.ts';
import { deleteProfile } from '../state/sdk.ts';
import { useSession } from '../state/session.ts';
import { type SettingsView, settings, updateSettings } from '../state/social.ts';
import { useLoad } from '../state/use-load.ts';

export function SettingsScreen() {
  const { client, profile, lock } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState('');
  const loaded = useLoad(() => settings(client), [client]);
  /** What the person chose since the screen opened (shown at once, whatever is still being saved). */
  const [chosen, setChosen] = useState<Partial<SettingsView>>({});
  const [permission, setPermission] = useState(notificationsSupported() ? Notification.permission : 'denied');
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | null>(null);

  const change = async (patch: Partial<SettingsView>) => {
    setError(null);
    setSaid('');
    setChosen((c) => ({ ...c, ...patch }));
    try {
      await updateSettings(client, patch);
      setSaid('Saved.');
    } catch (e) {
      setError(errorText(e));
      setChosen({});
    }
  };
  const act = async (f: () => Promise<void>, done: string) => {
    setError(null);
    try {
      await f();
      setSaid(done);
      setConfirm(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const p = client.profile;
  const s = loaded.value === undefined ? undefined : { ...loaded.value, ...chosen };
  return (
    <section class="card">
      <ScreenHeading>Settings</ScreenHeading>
      <h2>Privacy</h2>
      {s === undefined ? null : (
        <fieldset>
          <legend>What your contacts see</legend>
          <label class="choice">
            <input
              type="checkbox"
              checked={s.sendReadReceipts}
              onChange={(e) => change({ sendReadReceipts: e.currentTarget.checked })}
            />
            Send read receipts
          </label>
          <label class="choice">
            <input
              type="checkbox"
              checked={s.sendTyping}
              onChange={(e) => change({ sendTyping: e.currentTarget.checked })}
            />
            Send typing indicators
          </label>
          <p class="hint">Both are end-to-end encrypted; typing indicators are never stored.</p>
        </fieldset>
      )}
      <h2>Notifications</h2>
      {!notificationsSupported() ? (
        <p>This browser does not offer notifications.</p>
      ) : permission === 'granted' ? (
        <p>New messages are notified while Parley is in the background (who wrote, never what).</p>
      ) : permission === 'denied' ? (
        <p>Notifications are blocked for this site in your browser's settings.</p>
      ) : (
        <button type="button" onClick={async () => setPermission(await askNotifications())}>
          Allow notifications
        </button>
      )}
      <h2>Your profile</h2>
      <dl class="facts">
        <dt>Profile</dt>
        <dd dir="auto">{profile}</dd>
        <dt>Your name</dt>
        <dd dir="auto">{p.displayName}</dd>
        <dt>Server</dt>
        <dd dir="auto">{p.server}</dd>
        <dt>Account</dt>
        <dd class="mono">{p.accountId}</dd>
      </dl>
      <h2>Careful</h2>
      <div class="row">
        <button type="button" onClick={() => setConfirm('rotate')}>
          Replace identity keys…
        </button>
        <button type="button" class="danger" onClick={() => setConfirm('delete')}>
          Delete account…
        </button>
      </div>
      {confirm === 'rotate' ? (
        <Confirm label="Replace identity keys?">
          <p>
            For a lost or compromised device: new identity keys, the old account on the server deleted, your contacts
            and history kept. Every contact sees a “safety number changed” warning; those who verified you cannot write
            until they compare the new number.
          </p>
          <button
            type="button"
            class="danger"
            onClick={() => act(() => client.rotateIdentity(), 'Your identity keys were replaced.')}
          >
            Replace identity keys
          </button>
          <button type="button" onClick={() => setConfirm(null)}>
            Cancel
          </button>
        </Confirm>
      ) : null}
      {confirm === 'delete' ? (
        <Confirm label="Delete account?">
          <p>
            Deletes your account on the server (devices, mailboxes, contact address) and this profile in this browser.
            Your contacts can no longer reach you. This cannot be undone.
          </p>
          <button
            type="button"
            class="danger"
            onClick={() =>
              act(async () => {
                await client.deleteAccount();
                await lock();
                await deleteProfile(profile);
              }, '')
            }
          >
            Delete account and profile
          </button>
          <button type="button" onClick={() => setConfirm(null)}>
            Cancel
          </button>
        </Confirm>
      ) : null}
      <p role="status">{said}</p>
      <Alert message={error ?? loaded.error} />
    </section>
  );
}
