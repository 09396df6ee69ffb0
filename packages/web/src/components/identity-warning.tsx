/**
 * The loud warning when a contact's identity key changed (docs/client.md §4.4), with the choice
 * the CLI gives: compare the new safety number, or — for a verified contact, whose sending is
 * blocked until then — accept the new key without comparing.
 */
import { useState } from 'preact/hooks';
import { errorText } from '../state/errors.ts';
import type { ContactView } from '../state/sdk.ts';
import { useSession } from '../state/session.ts';
import { Alert } from './alert.tsx';

export function IdentityWarning({ contact }: { contact: ContactView }) {
  const { client, navigate, refresh } = useSession();
  const [error, setError] = useState<string | null>(null);
  if (!contact.identityChanged) return null;
  const accept = async () => {
    try {
      await client.acceptIdentityChange(contact.id);
      refresh();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section class="warning-box" aria-labelledby={`idw-${contact.id}`}>
      <h2 id={`idw-${contact.id}`}>⚠ Safety number changed</h2>
      <p dir="auto">
        <bdi>{contact.name}</bdi>'s identity key has changed: the safety number is different now. This happens when they
        reinstalled Parley or replaced a lost device, but it is also what an attacker impersonating them would cause.
        Compare the new safety number with them in person or on a call.
      </p>
      {contact.verification === 'verified' ? (
        <p>
          You had verified <bdi>{contact.name}</bdi>, so sending is blocked until you decide: compare the new number and
          confirm it, or accept the new key without comparing (they become unverified).
        </p>
      ) : null}
      <div class="row">
        <button type="button" class="primary" onClick={() => navigate({ name: 'contact', contactId: contact.id })}>
          Compare safety numbers
        </button>
        <button type="button" onClick={accept}>
          Accept the new key without comparing
        </button>
      </div>
      <Alert message={error} />
    </section>
  );
}
