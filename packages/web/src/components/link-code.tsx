/**
 * The 6-digit code both devices show while linking (protocol §14.2): the person confirms only if
 * the two screens show the same digits; a difference means someone is in the middle.
 */
export function spaced(code: string): string {
  return code.length === 6 ? `${code.slice(0, 3)} ${code.slice(3)}` : code;
}

export function LinkCode({ code, onAnswer }: { code: string; onAnswer: (same: boolean) => void }) {
  return (
    <fieldset class="link-code">
      <legend>Both devices show a code. Is it the same on the other device?</legend>
      <p class="code">{spaced(code)}</p>
      <div class="row">
        <button type="button" class="primary" onClick={() => onAnswer(true)}>
          The codes match
        </button>
        <button type="button" class="danger" onClick={() => onAnswer(false)}>
          They differ
        </button>
      </div>
    </fieldset>
  );
}
