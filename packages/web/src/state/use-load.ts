/** Loads data for a screen; loads again when `deps` change (the session's event counter among them). */
import { useEffect, useState } from 'preact/hooks';
import { errorText } from './errors.ts';

export interface Loaded<T> {
  readonly value: T | undefined;
  readonly error: string | null;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ value: undefined, error: null });
  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setState({ value, error: null }),
      (e: unknown) => current && setState((s) => ({ value: s.value, error: errorText(e) })),
    );
    return () => {
      current = false;
    };
  }, deps);
  return state;
}
