/** The unlocked profile, shared by the screens of the shell. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Navigate } from './route.ts';
import type { ParleyClient } from './sdk.ts';

export interface Session {
  readonly client: ParleyClient;
  readonly profile: string;
  /** Goes up with every client event: screens reload their data on it. */
  readonly version: number;
  readonly navigate: Navigate;
  /** Makes the screens reload (after a change that emits no event, such as marking read). */
  readonly refresh: () => void;
  /** Closes the profile (its keys leave memory) and goes back to the start screen. */
  readonly lock: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('useSession outside an unlocked profile');
  return s;
}
