/**
 * Linking another device to this account (docs/client.md §4.10), on this (existing) device: the
 * link and its QR code, then the code both devices show, then the history going over.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { CopyField } from '../components/copy-field.tsx';
import { LinkCode } from '../components/link-code.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { QrCode } from '../components/qr-code.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import type { LinkResult, LinkSession } from '../state/sdk.ts';
import { useSession } from '../state/session.ts';

type Stage =
  | { readonly name: 'idle' }
  | { readonly name: 'link'; readonly session: LinkSession }
  | { readonly name: 'code'; readonly session: LinkSession; readonly code: string }
  | { readonly name: 'transfer' }
  | { readonly name: 'done'; readonly result: LinkResult };

export function LinkDeviceScreen() {
  const { client, navigate } = useSession();
  const [stage, setStage] = useState<Stage>({ name: 'idle' });
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const live = useRef<LinkSession | null>(null);
  // Leaving the screen before the end cancels the linking (nothing is linked before the grant).
  useEffect(() => () => live.current?.cancel(), []);

  const start = async () => {
    setError(null);
    try {
      const session = await client.linkDevice({ onProgress: (p) => setProgress(p) });
      live.current = session;
      session.done.then(
        (result) => {
          live.current = null;
          setStage({ name: 'done', result });
        },
        (e: unknown) => {
          live.current = null;
          setError(errorText(e));
          setStage({ name: 'idle' });
        },
      );
      if (session.resumed) {
        setStage({ name: 'transfer' });
        return;
      }
      setStage({ name: 'link', session });
      const code = await session.code();
      setStage((s) => (s.name === 'link' ? { name: 'code', session, code } : s));
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section class="card">
      <ScreenHeading>Link a new device</ScreenHeading>
      {stage.name === 'idle' ? (
        <>
          <p>
            Your new device gets your keys, your contacts and the history it asks for, end-to-end encrypted. On the new
            device, open Parley and choose “Link to an existing account” (or run <code>parley join LINK</code>).
          </p>
          <button type="button" class="primary" onClick={start}>
            Show a device link
          </button>
        </>
      ) : null}
      {stage.name === 'link' ? (
        <div class="share">
          <QrCode text={stage.session.link} label="QR code of the device link" />
          <div class="share-links">
            <CopyField label="Device link" value={stage.session.link} />
            <p class="hint">
              It works once, for 10 minutes (until {new Date(stage.session.expiresAt).toLocaleTimeString()}). Show it
              only to your own device.
            </p>
            <p role="status">Waiting for the new device…</p>
            <button type="button" onClick={() => stage.session.cancel()}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {stage.name === 'code' ? (
        <LinkCode
          code={stage.code}
          onAnswer={(same) => {
            // Confirmed, the linking goes on even if this screen is left (it resumes after a restart).
            if (same) live.current = null;
            stage.session.confirm(same);
            if (same) setStage({ name: 'transfer' });
          }}
        />
      ) : null}
      {stage.name === 'transfer' ? (
        <div>
          <p role="status">Confirmed. Waiting for the new device, then sending your history…</p>
          {progress === null ? null : <ProgressBar label="History sent" done={progress.sent} total={progress.total} />}
        </div>
      ) : null}
      {stage.name === 'done' ? (
        <div>
          <p role="status">
            Linked “<span dir="auto">{stage.result.deviceName}</span>” as device {stage.result.deviceId}; it has{' '}
            {stage.result.items} contacts and messages.
          </p>
          <button type="button" onClick={() => navigate({ name: 'devices' })}>
            Back to devices
          </button>
        </div>
      ) : null}
      <Alert message={error} />
    </section>
  );
}
