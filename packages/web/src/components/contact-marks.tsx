import type { ContactView } from '../state/sdk.ts';

/** Verified ✓, safety number changed ⚠, pending …: as text, so screen readers say them too. */
export function Marks({ contact }: { contact: ContactView }) {
  if (contact.identityChanged) return <span class="mark warn">⚠ safety number changed</span>;
  if (contact.state === 'pending') return <span class="mark">pending</span>;
  if (contact.verification === 'verified') return <span class="mark ok">✓ verified</span>;
  return null;
}
