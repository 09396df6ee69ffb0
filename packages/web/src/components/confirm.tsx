/** A confirmation step in place (no modal): what will happen, the action and Cancel, as one group. */
import type { ComponentChildren } from 'preact';

export function Confirm({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <fieldset class="confirm">
      <legend class="sr-only">{label}</legend>
      {children}
    </fieldset>
  );
}
