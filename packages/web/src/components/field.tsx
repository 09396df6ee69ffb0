/** A labelled input: the label names it for screen readers and for the tests (design §3). */
import { useId } from 'preact/hooks';

export interface FieldProps {
  readonly label: string;
  readonly hint?: string;
  readonly value: string;
  readonly onValue: (v: string) => void;
  readonly type?: 'text' | 'password' | 'url';
  readonly required?: boolean;
  readonly pattern?: string;
  readonly maxLength?: number;
  readonly autoComplete?: string;
}

export function Field(props: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const common = {
    id,
    required: props.required ?? false,
    ...(props.pattern === undefined ? {} : { pattern: props.pattern }),
    ...(props.maxLength === undefined ? {} : { maxLength: props.maxLength }),
    autoComplete: props.autoComplete ?? 'off',
    spellcheck: false,
    value: props.value,
    ...(props.hint === undefined ? {} : { 'aria-describedby': hintId }),
    onInput: (e: { currentTarget: HTMLInputElement }) => props.onValue(e.currentTarget.value),
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.type === 'password' ? (
        <input type="password" {...common} />
      ) : props.type === 'url' ? (
        <input type="url" {...common} />
      ) : (
        <input type="text" {...common} />
      )}
      {props.hint === undefined ? null : (
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}
