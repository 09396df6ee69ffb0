/** Progress of a history transfer: a native <progress> with its label and the count as text. */
import { useId } from 'preact/hooks';

export function ProgressBar({ label, done, total }: { label: string; done: number; total: number }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <progress id={id} max={Math.max(total, 1)} value={done} />
      <span class="hint">
        {done} of {total}
      </span>
    </div>
  );
}
