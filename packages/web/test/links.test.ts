/**
 * The app's own link forms and screen state (no browser needed): `<origin>/#invite=…` and
 * `#address=…` to parley:// links and back, what a person may paste, and history.state read as
 * untrusted input.
 */
import { describe, expect, it } from 'vitest';
import { linkFromFragment, normalizeLink, webLink } from '../src/state/fragment.ts';
import { parseRoute } from '../src/state/route.ts';

const PAYLOAD = 'ARAAFmh0dHA6Ly8xMjcuMC4wLjE6ODc4Nw_-x';

describe('web links', () => {
  it('turns an invitation or address fragment into its parley:// link, and back', () => {
    expect(linkFromFragment(`#invite=${PAYLOAD}`)).toBe(`parley://invite/${PAYLOAD}`);
    expect(linkFromFragment(`#address=${PAYLOAD}`)).toBe(`parley://address/${PAYLOAD}`);
    expect(webLink(`parley://invite/${PAYLOAD}`, 'https://chat.example.org')).toBe(
      `https://chat.example.org/#invite=${PAYLOAD}`,
    );
    expect(webLink(`parley://address/${PAYLOAD}`, 'https://chat.example.org')).toBe(
      `https://chat.example.org/#address=${PAYLOAD}`,
    );
  });

  it('refuses other fragments: device links, other keys, anything outside base64url', () => {
    for (const hash of ['', '#', '#link=AAAA', '#invite=', '#invite=AB<script>', '#invite=AB&x=1', '#foo=AAAA']) {
      expect(linkFromFragment(hash)).toBeNull();
    }
    expect(webLink(`parley://link/${PAYLOAD}`, 'https://chat.example.org')).toBeNull();
  });

  it('accepts what a person pastes: a parley:// link with spaces around, or the web link', () => {
    expect(normalizeLink(`  parley://invite/${PAYLOAD}\n`)).toBe(`parley://invite/${PAYLOAD}`);
    expect(normalizeLink(`https://chat.example.org/#invite=${PAYLOAD}`)).toBe(`parley://invite/${PAYLOAD}`);
    expect(normalizeLink('https://chat.example.org/#nothing')).toBe('https://chat.example.org/#nothing');
  });
});

describe('screen state in history', () => {
  it('reads the routes the app writes', () => {
    expect(parseRoute({ route: { name: 'chats' } })).toEqual({ name: 'chats' });
    expect(parseRoute({ route: { name: 'chat', contactId: 'c1' } })).toEqual({ name: 'chat', contactId: 'c1' });
  });

  it('ignores anything else another page or an old version left there', () => {
    for (const state of [
      null,
      undefined,
      'chats',
      { route: null },
      { route: { name: 'nope' } },
      { route: { name: 'chat' } },
      { route: { name: 'chat', contactId: 5 } },
    ]) {
      expect(parseRoute(state)).toBeNull();
    }
  });
});
