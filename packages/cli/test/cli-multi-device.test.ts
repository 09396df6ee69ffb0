/**
 * Issue 18's end-to-end scenario with real processes: a real `parley-server` and real CLI homes,
 * every step a `parley` child process. Alice has a laptop and a phone, Bob one device. The
 * laptop's 1,000-message conversation with Bob is seeded through the SDK (a loop of `send`
 * processes would take minutes), then everything else goes through the CLI: linking with the
 * code typed on both, the history on the phone in order, Bob's messages on both devices, the
 * laptop's message on the phone as sent, a verification made on the phone shown on the laptop,
 * the phone removed (it gets nothing new, Bob stops encrypting to it), and a third device linked
 * after the removal.
 */
import { openProfile } from '@parley/client/node';
import { Home, meet, PASSPHRASE, type Running, texts, useTestHomes, useTestServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';

const server = useTestServer();
const { alice: laptop, bob, homes } = useTestHomes(server);

const HISTORY = 1000;
const LINK_TIMEOUT_MS = 150_000;

/** The first `key` a process prints in its JSON documents. */
const field = (r: Running, key: string): Promise<unknown> => r.waitForField(key, 90_000);

/** Links `device` to the laptop's account through `devices link` and `join`, the code compared and typed on both. */
async function link(device: Home, name: string, history: string): Promise<void> {
  const existing = laptop.start(['devices', 'link', '--json'], { openStdin: true, timeoutMs: LINK_TIMEOUT_MS });
  const url = (await field(existing, 'link')) as string;
  const joining = device.start(['join', url, '--name', name, '--history', history, '--json'], {
    openStdin: true,
    timeoutMs: LINK_TIMEOUT_MS,
  });
  const [codeE, codeN] = await Promise.all([field(existing, 'code'), field(joining, 'code')]);
  expect(codeN).toBe(codeE);
  joining.child.stdin?.end(`${codeE}\n`);
  existing.child.stdin?.end('y\n');
  const [e, n] = await Promise.all([existing.done, joining.done]);
  expect(e.code, e.stderr).toBe(0);
  expect(n.code, n.stderr).toBe(0);
  expect(existing.documents().find((d) => 'linked' in d)?.linked).toMatchObject({ deviceName: name });
}

/** How many of `contact`'s devices `home` encrypts to (`contacts --json`). */
async function devicesOf(home: Home, contact: string): Promise<number> {
  const { contacts } = await home.json('contacts');
  return (contacts as { name: string; devices: number }[]).find((c) => c.name === contact)?.devices ?? -1;
}

interface Msg {
  readonly text: string;
  readonly direction: 'in' | 'out';
  readonly sentAt: number;
}

async function historyOf(home: Home, contact: string, limit = 50): Promise<Msg[]> {
  return (await home.json('history', contact, '--limit', String(limit))).messages as Msg[];
}

describe('Alice on a laptop and a phone, Bob on one device (issue 18)', () => {
  it('links, fans out both ways, syncs sent messages and verification, transfers 1,000 messages, removes and relinks', async () => {
    await meet(laptop, bob);

    // ── A conversation of 1,000 messages on the laptop (through the SDK: no CLI runs on it now). ──
    const seeded = Array.from({ length: HISTORY }, (_, i) => `history ${String(i + 1).padStart(4, '0')}`);
    const sdk = await openProfile({ home: laptop.dir, passphrase: PASSPHRASE });
    try {
      for (const text of seeded) await sdk.send('Bob', text);
    } finally {
      await sdk.close();
    }
    expect(texts(await bob.json('receive'))).toEqual(seeded);
    await laptop.json('receive'); // the receipts

    // ── The phone joins with the whole history. ──
    const phone = Home.empty('Phone');
    homes.push(phone);
    await link(phone, 'phone', 'all');
    const onPhone = await historyOf(phone, 'Bob', HISTORY);
    expect(onPhone.map((m) => m.text)).toEqual(seeded); // every message, in order
    expect(onPhone.every((m) => m.direction === 'out')).toBe(true);
    expect(onPhone.every((m, i) => i === 0 || m.sentAt >= (onPhone[i - 1] as Msg).sentAt)).toBe(true);
    const { devices: ownDevices } = await laptop.json('devices');
    expect(ownDevices.map((d: { name: string | null }) => d.name)).toContain('phone');
    const phoneId = (ownDevices as { id: number; name: string | null }[]).find((d) => d.name === 'phone')?.id;
    expect(phoneId).toBeGreaterThan(1);

    // The phone introduces itself to Bob and to the laptop at its first sync; they answer at theirs.
    await phone.json('receive');
    const told = await bob.json('receive');
    // Bob sees a notice that Alice linked a device (docs/client.md §4.9).
    expect(told.events).toContainEqual(expect.objectContaining({ type: 'contact-device-added', device: phoneId }));
    await laptop.json('receive');
    await phone.json('receive');
    expect(await devicesOf(bob, 'Alice')).toBe(2);

    // ── Bob's message appears on both of Alice's devices. ──
    await bob.json('send', 'Alice', 'to both of you');
    expect(texts(await phone.json('receive'))).toEqual(['to both of you']);
    // Read on the phone, so not new on the laptop (the read sync, docs/client.md §4.9), but there.
    expect(texts(await laptop.json('receive'))).toEqual([]);
    expect((await historyOf(laptop, 'Bob', 1)).at(-1)).toMatchObject({ text: 'to both of you', direction: 'in' });

    // ── Alice's message sent from the laptop appears on the phone as sent (and reaches Bob once). ──
    await laptop.json('send', 'Bob', 'sent from the laptop');
    expect(texts(await phone.json('receive'))).toEqual([]); // her own message is not new mail
    expect((await historyOf(phone, 'Bob', 2)).at(-1)).toMatchObject({ text: 'sent from the laptop', direction: 'out' });
    expect(texts(await bob.json('receive'))).toEqual(['sent from the laptop']);

    // ── Verification made on the phone shows on the laptop. ──
    expect((await laptop.json('contacts')).contacts[0]).toMatchObject({ name: 'Bob', verification: 'unverified' });
    const verified = await phone.json('verify', 'Bob', '--confirm');
    expect(verified.contact).toMatchObject({ verification: 'verified' });
    await laptop.json('receive');
    expect((await laptop.json('contacts')).contacts[0]).toMatchObject({ name: 'Bob', verification: 'verified' });

    // ── Removing the phone: it gets nothing new, and Bob stops encrypting to it. ──
    const afterRemoval = await laptop.json('devices', 'remove', String(phoneId));
    expect(afterRemoval.devices.map((d: { id: number }) => d.id)).not.toContain(phoneId);
    const toldRemoved = await bob.json('receive'); // Bob learns the new list
    expect(toldRemoved.events).toContainEqual(
      expect.objectContaining({ type: 'contact-device-removed', device: phoneId }),
    );
    expect(await devicesOf(bob, 'Alice')).toBe(1);
    await bob.json('send', 'Alice', 'after the removal');
    await laptop.json('send', 'Bob', 'the laptop after the removal');
    expect(texts(await laptop.json('receive'))).toEqual(['after the removal']);
    const removed = await phone.run('receive', '--json');
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.json.messages).toEqual([]);
    expect(removed.json.events).toContainEqual({ type: 'removed-from-account' });
    const phoneTexts = (await historyOf(phone, 'Bob', HISTORY + 10)).map((m) => m.text);
    expect(phoneTexts).not.toContain('after the removal');
    expect(phoneTexts).not.toContain('the laptop after the removal');
    const refused = await phone.run('send', 'Bob', 'from the removed phone', '--json');
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain('removed-from-account');
    expect(texts(await bob.json('receive'))).toEqual(['the laptop after the removal']);

    // ── A third device linked after the removal works. ──
    const tablet = Home.empty('Tablet');
    homes.push(tablet);
    await link(tablet, 'tablet', 'none');
    const { devices: nowLinked } = await laptop.json('devices');
    expect(nowLinked.map((d: { name: string | null }) => d.name)).toEqual([null, 'tablet']);
    expect(await historyOf(tablet, 'Bob')).toEqual([]); // --history none: the contact, no messages
    await tablet.json('receive');
    await bob.json('receive');
    await laptop.json('receive');
    await tablet.json('receive');
    expect(await devicesOf(bob, 'Alice')).toBe(2);
    expect((await tablet.json('contacts')).contacts[0]).toMatchObject({ name: 'Bob', verification: 'verified' });

    await bob.json('send', 'Alice', 'to the laptop and the tablet');
    expect(texts(await laptop.json('receive'))).toEqual(['to the laptop and the tablet']);
    expect(texts(await tablet.json('receive'))).toEqual([]); // read on the laptop
    expect((await historyOf(tablet, 'Bob', 1)).at(-1)).toMatchObject({
      text: 'to the laptop and the tablet',
      direction: 'in',
    });
    expect(texts(await phone.json('receive'))).toEqual([]);

    await tablet.json('send', 'Bob', 'sent from the tablet');
    expect(texts(await bob.json('receive'))).toEqual(['sent from the tablet']);
    await laptop.json('receive');
    expect((await historyOf(laptop, 'Bob', 1)).at(-1)).toMatchObject({
      text: 'sent from the tablet',
      direction: 'out',
    });
  }, 600_000);
});
