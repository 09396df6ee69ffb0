/**
 * A device whose one-time prekeys are being drained, against a real server (docs/client.md §5,
 * docs/server.md, "Bundle budgets"): the server hands a drainer last-resort bundles past its budget and counts
 * them; the running client's maintenance notices at its next check, refills to the targets,
 * reports `last-resort-used`, and checks again a minute later rather than ten.
 */
import { type AccountId, defaultEnv, deviceId, parseAccountId } from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { ParleyClient } from '../src/client.ts';
import { PREKEY_POLICY } from '../src/engine/prekeys.ts';
import { decodeAs } from '../src/engine/record-schemas.ts';
import { ServerApi } from '../src/net/server-api.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { KeptStore } from './client-kit.ts';

const server = useInProcessServer();
// Every fetch here comes from one requester (loopback): the tests together stay within its
// budget of 30 fetches (docs/server.md, "Bundle budgets").

/** How often the running client polls (client.ts REQUEST_POLL_MS). */
const POLL_MS = 30_000;

afterEach(() => {
  vi.useRealTimers();
});

/** A client on the test server whose clock the test moves, with its device's credentials. */
async function owned(name: string, clock: { now: number }) {
  const env = { ...defaultEnv, now: () => clock.now };
  const store = new KeptStore();
  const client = await ParleyClient.create(store, nodeClientOptions(name.toLowerCase(), env), {
    server: server.url,
    displayName: name,
  });
  const stored = await store.get('profile', 'self');
  if (stored === undefined) throw new Error('no profile');
  const profile = decodeAs('profile', stored);
  const account: AccountId = parseAccountId(profile.accountId);
  const device = deviceId(profile.device);
  return { client, account, device, auth: { account, device, devicePrivateKey: profile.deviceKeys.privateKey } };
}

describe('prekeys under a drain', () => {
  it('the owner refills promptly, sees last-resort use, and keeps watching', async () => {
    const clock = { now: Date.now() };
    const { client: owner, account, device, auth: ownerAuth } = await owned('Owner', clock);
    const api = new ServerApi(server.url);
    const drain = async (n: number) => {
      for (let i = 0; i < n; i++) await api.fetchBundle(account, device);
    };
    const events: ClientEvent[] = [];
    owner.on((e) => {
      if (e.type === 'last-resort-used') events.push(e);
    });
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await owner.start();
    try {
      // One requester takes its share of one-time keys; every fetch after that is a last-resort bundle.
      await drain(10);
      expect(await api.preKeyCounts(ownerAuth)).toEqual({ oneTime: 97, kem: 17, lastResortServed: 7 });

      // The next regular check (10 minutes after registering) refills to the targets at once.
      clock.now += PREKEY_POLICY.checkIntervalMs;
      vi.advanceTimersByTime(POLL_MS);
      await vi.waitFor(() => expect(events).toEqual([{ type: 'last-resort-used', bundles: 7 }]), { timeout: 10_000 });
      expect(await api.preKeyCounts(ownerAuth)).toEqual({ oneTime: 100, kem: 20, lastResortServed: 7 });

      // The drain goes on: the owner looks again a minute later, not ten.
      await drain(3);
      clock.now += PREKEY_POLICY.drainCheckIntervalMs;
      vi.advanceTimersByTime(POLL_MS);
      await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 10_000 });
      expect(events[1]).toEqual({ type: 'last-resort-used', bundles: 3 });
    } finally {
      vi.useRealTimers();
      await owner.stop();
      await owner.close();
    }
  });

  it('an invitee gets a one-time key with the grant its link gives, after a drainer spent the anonymous budget', async () => {
    const clock = { now: Date.now() };
    const { client: owner, account, device, auth } = await owned('Inviter', clock);
    const { client: invitee } = await owned('Invitee', clock);
    const api = new ServerApi(server.url);
    try {
      const { link } = await owner.createInvitation();
      // The drainer shares the invitee's address (loopback): anonymous fetches now get last-resort bundles.
      for (let i = 0; i < 5; i++) await api.fetchBundle(account, device);
      expect((await api.fetchBundle(account, device)).oneTimePreKey).toBeNull();
      const before = await api.preKeyCounts(auth);
      await invitee.connect(link);
      const after = await api.preKeyCounts(auth);
      expect(after).toEqual({ ...before, oneTime: before.oneTime - 1, kem: before.kem - 1 });
      // And the hello it sent opens with those keys.
      await owner.sync();
      expect((await owner.contacts()).map((c) => c.state)).toEqual(['connected']);
    } finally {
      await owner.close();
      await invitee.close();
    }
  });
});
