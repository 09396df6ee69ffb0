/**
 * Writing a message: Enter sends, Shift+Enter starts a new line. While keys are pressed it tells
 * the contact "typing" at most every TYPING_EVERY_MS (the SDK sends nothing when the setting is
 * off), and "stopped" on send, on leaving the field and when the field is emptied.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { MAX_TEXT } from '../state/sdk.ts';

export const TYPING_EVERY_MS = 3000;

export function Composer(props: {
  disabled: string | null;
  onSend: (text: string) => void;
  onTyping: (active: boolean) => void;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const lastTyping = useRef(0);
  const { onTyping } = props;

  const stopTyping = () => {
    if (lastTyping.current === 0) return;
    lastTyping.current = 0;
    onTyping(false);
  };
  // Leaving the conversation while typing: tell them we stopped.
  useEffect(() => stopTyping, []);

  const send = () => {
    const t = text;
    if (t.trim() === '' || props.disabled !== null) return;
    setText('');
    stopTyping();
    props.onSend(t);
  };
  const onInput = (value: string) => {
    setText(value);
    if (value === '') {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (now - lastTyping.current >= TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping(true);
    }
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label for={id} class="sr-only">
        Message
      </label>
      <textarea
        id={id}
        rows={2}
        maxLength={MAX_TEXT}
        dir="auto"
        placeholder={props.disabled ?? 'Write a message'}
        disabled={props.disabled !== null}
        value={text}
        onInput={(e) => onInput(e.currentTarget.value)}
        onBlur={stopTyping}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" class="primary" disabled={props.disabled !== null}>
        Send
      </button>
    </form>
  );
}
