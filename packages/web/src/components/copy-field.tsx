/**
 * A link to hand over: shown in a read-only field (select it to copy by hand) with a Copy button
 * using the Clipboard API where the page may (secure contexts).
 */
import { useId, useState } from 'preact/hooks';

export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const [copied, setCopied] = useState<string>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      const el = document.getElementById(id);
      if (el instanceof HTMLTextAreaElement) el.select();
      setCopied('Copying is not allowed here: the link is selected, copy it with your keyboard.');
    }
  };
  return (
    <div class="field copy-field">
      <label for={id}>{label}</label>
      <textarea id={id} readOnly rows={3} value={value} onFocus={(e) => e.currentTarget.select()} />
      <div class="row">
        <button type="button" onClick={copy}>
          Copy {label.toLowerCase()}
        </button>
        <span role="status" class="hint">
          {copied}
        </span>
      </div>
    </div>
  );
}
