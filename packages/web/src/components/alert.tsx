/** A failure, announced at once (role="alert"). Renders nothing when there is none. */
export function Alert({ message }: { message: string | null | undefined }) {
  if (message === null || message === undefined || message === '') return null;
  return (
    <p role="alert" class="alert">
      {message}
    </p>
  );
}
