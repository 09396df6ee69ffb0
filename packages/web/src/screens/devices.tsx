/** The account's devices: names, when linked and last active, rename, remove; link a new one. */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Confirm } from '../components/confirm.tsx';
import { Field } from '../components/field.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import type { DeviceView } from '../state/sdk.ts';
import { useSession } from '../state/session.ts';
import { useLoad } from '../state/use-load.ts';

export function DevicesScreen() {
  const { client, version, navigate } = useSession();
  const [round, setRound] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const devices = useLoad(() => client.devices(), [client, version, round]);
  const act = async (f: () => Promise<unknown>) => {
    setError(null);
    try {
      await f();
      setRound((n) => n + 1);
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    }
  };
  return (
    <section class="card">
      <div class="row spread">
        <ScreenHeading>Devices</ScreenHeading>
        <button type="button" class="primary" onClick={() => navigate({ name: 'link-device' })}>
          Link a new device
        </button>
      </div>
      <p class="hint">
        Every device of your account gets your messages and has its own keys. Remove one you lost: it can no longer read
        or send, and your contacts stop encrypting to it.
      </p>
      <ul class="devices">
        {(devices.value ?? []).map((d) => (
          <DeviceRow key={d.id} device={d} act={act} />
        ))}
      </ul>
      <Alert message={error ?? devices.error} />
    </section>
  );
}

function DeviceRow({ device: d, act }: { device: DeviceView; act: (f: () => Promise<unknown>) => Promise<boolean> }) {
  const { client } = useSession();
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const title = d.name ?? `Device ${d.id}`;
  return (
    <li class="device">
      <p>
        <strong dir="auto">{title}</strong> {d.current ? <span class="mark ok">this browser</span> : null}{' '}
        {d.dropped ? <span class="mark warn">dropped</span> : d.stale ? <span class="mark warn">stale</span> : null}
      </p>
      <p class="hint">
        {[
          d.name === null ? null : `Device ${d.id}`,
          d.linkedAt === null ? null : `linked ${new Date(d.linkedAt).toLocaleDateString()}`,
          d.lastActiveAt === null || d.current ? null : `last active ${new Date(d.lastActiveAt).toLocaleString()}`,
        ]
          .filter((x) => x !== null)
          .join(' · ')}
      </p>
      {editing !== null ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (await act(() => client.renameDevice(d.id, editing.trim()))) setEditing(null);
          }}
        >
          <Field label={`New name for ${title}`} required maxLength={100} value={editing} onValue={setEditing} />
          <button type="submit">Save name</button>
          <button type="button" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      ) : (
        <div class="row">
          <button type="button" onClick={() => setEditing(d.name ?? '')} aria-label={`Rename ${title}`}>
            Rename
          </button>
          {d.current ? null : confirming ? (
            <Confirm label={`Remove ${title}?`}>
              <span>It can no longer read or send; this cannot be undone.</span>
              <button type="button" class="danger" onClick={() => act(() => client.removeDevice(d.id))}>
                Remove <bdi>{title}</bdi>
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </Confirm>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirming(true)} aria-label={`Remove ${title}…`}>
              Remove…
            </button>
          )}
        </div>
      )}
    </li>
  );
}
