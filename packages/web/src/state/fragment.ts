/**
 * Links that open the app: `<origin>/#invite=<payload>` (and `#address=<payload>`), where payload
 * is what follows `parley://invite/` (or `parley://address/`). The fragment never reaches a
 * server; the app reads it once and removes it from the address bar and the history entry
 * (history.replaceState), so the one-time secret does not linger (design §3).
 */
import { ADDRESS_PREFIX, INVITE_PREFIX } from './sdk.ts';

const KINDS: Record<string, string> = { invite: INVITE_PREFIX, address: ADDRESS_PREFIX };

/** The parley:// link in `hash`, or null. */
export function linkFromFragment(hash: string): string | null {
  const m = /^#(invite|address)=([A-Za-z0-9_-]+)$/.exec(hash);
  if (m === null) return null;
  const prefix = KINDS[m[1] ?? ''];
  return prefix === undefined ? null : `${prefix}${m[2]}`;
}

/** Takes the link out of the current URL (if any) and clears the fragment. */
export function takeFragmentLink(): string | null {
  if (location.hash === '') return null;
  const link = linkFromFragment(location.hash);
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  return link;
}

/** The app's own share form of a link: `<origin>/#invite=…` (null for other links). */
export function webLink(link: string, origin: string = location.origin): string | null {
  for (const [kind, prefix] of Object.entries(KINDS)) {
    if (link.startsWith(prefix)) return `${origin}/#${kind}=${link.slice(prefix.length)}`;
  }
  return null;
}

/** What a person pasted — a parley:// link or the app's web link — as a parley:// link. */
export function normalizeLink(text: string): string {
  const t = text.trim();
  const hash = t.indexOf('#');
  if (/^https?:\/\//i.test(t) && hash >= 0) return linkFromFragment(t.slice(hash)) ?? t;
  return t;
}
