/**
 * Names are local (docs/client.md "Names"): what a contact calls themselves is a suggestion, names
 * in a profile are unique under NFKC + case folding + invisible characters removed, a clash is
 * reported, and the same identity connecting again is the contact we already have.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { ClientError } from '../src/errors.ts';
import { nameKey } from '../src/flows/contact-lookup.ts';
import { KeptStore, meet, newClient, received, reopen } from './client-kit.ts';

const server = useInProcessServer();

describe('nameKey', () => {
  it('makes look-alike spellings of a name equal', () => {
    const bob = nameKey('Bob');
    for (const lookAlike of ['bob', 'BOB', 'Ｂｏｂ', 'B\u200bob', ' Bob ', 'Bo\u00adb', 'Bob\ufe0f', 'B\u2060ob']) {
      expect(nameKey(lookAlike), JSON.stringify(lookAlike)).toBe(bob);
    }
    expect(nameKey('Anna  Maria')).toBe(nameKey('anna maria'));
    expect(nameKey('Bob')).not.toBe(nameKey('Rob'));
  });
});

describe('a stranger calling himself like a contact', () => {
  it('gets a distinct name, keeps his own as suggestedName, and the clash is an event', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    await alice.verify('Bob');
    const events: ClientEvent[] = [];
    alice.on((e) => events.push(e));

    // Mallory invites Alice under the name "Bob"; Alice connects without choosing a name.
    const mallory = await newClient(server.url, 'Bob');
    await alice.connect((await mallory.createInvitation()).link);
    await mallory.sync();
    await alice.sync();

    const contacts = await alice.contacts();
    expect(contacts.map((c) => [c.name, c.verification])).toEqual([
      ['Bob', 'verified'],
      ['Bob-2', 'unverified'],
    ]);
    const impostor = contacts.find((c) => c.name === 'Bob-2');
    expect(impostor?.suggestedName).toBe('Bob');
    const clash = events.find((e) => e.type === 'name-clash');
    expect(clash?.type === 'name-clash' && [clash.contact.name, clash.suggestedName, clash.clashesWith.name]).toEqual([
      'Bob-2',
      'Bob',
      'Bob',
    ]);

    // His messages arrive under the distinct name; "Bob" still means the verified Bob.
    await mallory.send('Alice', 'it is me, Bob');
    await alice.sync();
    const [m] = await alice.unread({ take: true });
    expect(m?.contactId).toBe(impostor?.id);
    expect((await alice.contact('Bob')).verification).toBe('verified');
    for (const c of [alice, bob, mallory]) await c.close();
  }, 90_000);

  it('a look-alike name (fullwidth, zero-width space) is made distinct too', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    const fullwidth = await newClient(server.url, 'Ｂｏｂ');
    const hidden = await newClient(server.url, 'B\u200bob');
    for (const stranger of [fullwidth, hidden]) {
      // The stranger uses Alice's invitation: his hello names him.
      await stranger.connect((await alice.createInvitation()).link);
      await alice.sync();
    }
    const names = (await alice.contacts()).map((c) => c.name);
    expect(new Set(names.map(nameKey)).size).toBe(names.length);
    expect(names).toContain('Bob');
    expect(names.filter((n) => nameKey(n) === 'bob')).toEqual(['Bob']);
    for (const c of [alice, bob, fullwidth, hidden]) await c.close();
  }, 90_000);
});

describe('the same person connecting again', () => {
  it('through our invitation stays one contact, verification kept, on a new session that works', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bobStore = new KeptStore();
    let bob = await newClient(server.url, 'Bob', bobStore);
    const backup = await bobStore.snapshot();
    await meet(alice, bob);
    await alice.verify('Bob');
    const before = await alice.contact('Bob');

    // Bob restores a backup from before he met Alice (same identity, no contact): using Alice's
    // new invitation sends her a hello from an identity she already has.
    await bob.close();
    await bobStore.restore(backup);
    bob = await reopen(bobStore, 'bob');
    await bob.connect((await alice.createInvitation()).link);
    await alice.sync();
    await bob.sync();

    const contacts = await alice.contacts();
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.id).toBe(before.id);
    expect(contacts[0]?.verification).toBe('verified');
    expect(contacts[0]?.conversationId).toBe(before.conversationId);

    await bob.send('Alice', 'back again');
    expect(await received(alice)).toEqual(['back again']);
    await alice.send('Bob', 'welcome back');
    expect(await received(bob)).toEqual(['welcome back']);
    for (const c of [alice, bob]) await c.close();
  }, 90_000);

  it("using the link of someone who already is a contact is refused as 'already-contact'", async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    const link = (await alice.createInvitation()).link;
    const error = await bob.connect(link).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('already-contact');
    expect((await bob.contacts()).map((c) => c.name)).toEqual(['Alice']);
    for (const c of [alice, bob]) await c.close();
  }, 90_000);
});
