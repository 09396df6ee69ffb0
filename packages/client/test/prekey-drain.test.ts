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

/** How often the running client polls (client.ts REQUEST_POLL_MS). */
const POLL_MS = 30_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('prekeys under a drain', () => {
  it('the owner refills promptly, sees last-resort use, and keeps watching', async () => {
    const clock = { now: Date.now() };
    const env = { ...defaultEnv, now: () => clock.now };
    const store = new KeptStore();
    const owner = await ParleyClient.create(store, nodeClientOptions('owner', env), {
      server: server.url,
      displayName: 'Owner',
    });
    const stored = await store.get('profile', 'self');
    if (stored === undefined) throw new Error('no profile');
    const profile = decodeAs('profile', stored);
    const account: AccountId = parseAccountId(profile.accountId);
    const ownerAuth = { account, device: deviceId(profile.device), devicePrivateKey: profile.deviceKeys.privateKey };
    const api = new ServerApi(server.url);
    const drain = async (n: number) => {
      for (let i = 0; i < n; i++) await api.fetchBundle(account, deviceId(profile.device));
    };
    const events: ClientEvent[] = [];
    owner.on((e) => {
      if (e.type === 'last-resort-used') events.push(e);
    });
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    await owner.start();
    try {
      // One requester takes its share of one-time keys; every fetch after that is a last-resort bundle.
      await drain(25);
      expect(await api.preKeyCounts(ownerAuth)).toEqual({ oneTime: 97, kem: 17, lastResortServed: 22 });

      // The next regular check (10 minutes after registering) refills to the targets at once.
      clock.now += PREKEY_POLICY.checkIntervalMs;
      vi.advanceTimersByTime(POLL_MS);
      await vi.waitFor(() => expect(events).toEqual([{ type: 'last-resort-used', bundles: 22 }]), { timeout: 10_000 });
      expect(await api.preKeyCounts(ownerAuth)).toEqual({ oneTime: 100, kem: 20, lastResortServed: 22 });

      // The drain goes on: the owner looks again a minute later, not ten.
      await drain(5);
      clock.now += PREKEY_POLICY.drainCheckIntervalMs;
      vi.advanceTimersByTime(POLL_MS);
      await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 10_000 });
      expect(events[1]).toEqual({ type: 'last-resort-used', bundles: 5 });
    } finally {
      vi.useRealTimers();
      await owner.stop();
      await owner.close();
    }
  });
});
