/**
 * Linking this browser to an existing account (docs/client.md §4.10): the link another device of
 * the account shows, the code both show, the history to bring over, then a progress bar while
 * contacts and messages arrive. The result is a new profile in this browser with its own passphrase.
 */
import { useState } from 'preact/hooks';
import { Alert } from '../components/alert.tsx';
import { Field } from '../components/field.tsx';
import { LinkCode } from '../components/link-code.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { QrScanner } from '../components/qr-scanner.tsx';
import { ScreenHeading } from '../components/screen-heading.tsx';
import { errorText } from '../state/errors.ts';
import { type HistoryChoice, type JoinSession, joinAccount, type ParleyClient } from '../state/sdk.ts';
import { MIN_PASSPHRASE } from './create-profile.tsx';
import type { OpenedProps } from './start.tsx';

type Stage =
  | { readonly name: 'form' }
  | { readonly name: 'starting' }
  | { readonly name: 'code'; readonly code: string; readonly session: JoinSession<ParleyClient> }
  | { readonly name: 'waiting' };

const HISTORY: Record<string, HistoryChoice> = {
  all: { kind: 'all' },
  days30: { kind: 'days', days: 30 },
  none: { kind: 'none' },
};

export function JoinAccountScreen(props: OpenedProps) {
  const [profile, setProfile] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [link, setLink] = useState('');
  const [deviceName, setDeviceName] = useState('Browser');
  const [history, setHistory] = useState('all');
  const [stage, setStage] = useState<Stage>({ name: 'form' });
  const [progress, setProgress] = useState<{ received: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const start = async (e: Event) => {
    e.preventDefault();
    if (passphrase.length < MIN_PASSPHRASE) {
      setError(`Choose a passphrase of at least ${MIN_PASSPHRASE} characters.`);
      return;
    }
    setError(null);
    setStage({ name: 'starting' });
    try {
      const session = await joinAccount({
        profile: profile.trim(),
        passphrase,
        link: link.trim(),
        deviceName: deviceName.trim(),
        history: HISTORY[history] ?? { kind: 'all' },
        onProgress: (p) => setProgress(p),
      });
      session.done.then(
        (client) => props.onOpen(client, profile.trim()),
        (err: unknown) => {
          setError(errorText(err));
          setStage({ name: 'form' });
        },
      );
      if (session.resumed) setStage({ name: 'waiting' });
      else setStage({ name: 'code', code: await session.code(), session });
    } catch (err) {
      setError(errorText(err));
      setStage({ name: 'form' });
    }
  };

  const answer = (same: boolean) => {
    if (stage.name !== 'code') return;
    stage.session.confirm(same);
    setStage(same ? { name: 'waiting' } : { name: 'form' });
    if (!same) setError('Nothing was linked: the codes differed. Start again on both devices.');
  };

  return (
    <section class="card narrow">
      <ScreenHeading>Link this browser to your account</ScreenHeading>
      {stage.name === 'form' || stage.name === 'starting' ? (
        <form onSubmit={start} aria-busy={stage.name === 'starting'}>
          <p>
            On a device of your account, open Devices and choose “Link a new device” (or run{' '}
            <code>parley devices link</code>). It shows a link: paste it here.
          </p>
          <Field label="Device link" required autoComplete="off" value={link} onValue={setLink} />
          <QrScanner label="Scan the QR code" onCode={setLink} />
          <Field
            label="Profile name"
            required
            pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,31}"
            value={profile}
            onValue={setProfile}
          />
          <Field
            label="Passphrase"
            type="password"
            autoComplete="new-password"
            hint="Encrypts this browser's copy of your keys and messages."
            required
            value={passphrase}
            onValue={setPassphrase}
          />
          <Field
            label="Device name"
            hint="How your other devices will call this one."
            required
            value={deviceName}
            onValue={setDeviceName}
          />
          <fieldset>
            <legend>History to bring over</legend>
            {[
              ['all', 'All messages'],
              ['days30', 'The last 30 days'],
              ['none', 'None: contacts only'],
            ].map(([value, text]) => (
              <label key={value} class="choice">
                <input
                  type="radio"
                  name="history"
                  value={value}
                  checked={history === value}
                  onChange={() => setHistory(value ?? 'all')}
                />
                {text}
              </label>
            ))}
          </fieldset>
          <Alert message={error} />
          <button type="submit" class="primary" disabled={stage.name === 'starting'}>
            {stage.name === 'starting' ? 'Contacting your device…' : 'Link this browser'}
          </button>
          <button type="button" onClick={() => props.navigate({ name: 'start' })}>
            Back
          </button>
        </form>
      ) : null}
      {stage.name === 'code' ? <LinkCode code={stage.code} onAnswer={answer} /> : null}
      {stage.name === 'waiting' ? (
        <div>
          <p role="status">Confirmed here; waiting for your other device…</p>
          {progress === null ? null : (
            <ProgressBar label="History received" done={progress.received} total={progress.total} />
          )}
        </div>
      ) : null}
    </section>
  );
}
