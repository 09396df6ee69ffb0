/**
 * History transfer throughput for `bench:client` (docs/client.md §4.10): Alice's profile with a
 * conversation of N messages links a new device (both encrypted SQLite stores, a real server
 * process, both in this process); measured from both confirmations to the new device having
 * stored the last message, in messages per second.
 */
import { createProfile, joinAccount } from '@parley/client/node';

const PASSPHRASE = 'bench passphrase';
/** How often each side looks at its link mailbox (the SDK's default is 500 ms). */
const POLL_MS = 50;

export async function historyFigures(server: string, dir: string, messages: number, text = 100) {
  const alice = await createProfile({
    home: dir,
    profile: 'h-alice',
    passphrase: PASSPHRASE,
    server,
    displayName: 'Alice',
  });
  const bob = await createProfile({ home: dir, profile: 'h-bob', passphrase: PASSPHRASE, server, displayName: 'Bob' });
  const { link } = await alice.createInvitation();
  await bob.connect(link);
  await alice.sync();
  await bob.sync();
  for (let i = 0; i < messages; i++) {
    const body = `${i} `.padEnd(text, 'x');
    await (i % 2 === 0 ? alice.send('Bob', body) : bob.send('Alice', body));
    if (i % 200 === 199) await Promise.all([alice.sync(), bob.sync()]);
  }
  await Promise.all([alice.sync(), bob.sync()]);
  await alice.sync();
  const session = await alice.linkDevice({ pollMs: POLL_MS });
  const joining = await joinAccount({
    home: dir,
    profile: 'h-phone',
    passphrase: PASSPHRASE,
    link: session.link,
    deviceName: 'phone',
    history: { kind: 'all' },
    pollMs: POLL_MS,
  });
  await Promise.all([session.code(), joining.code()]);
  const start = performance.now();
  session.confirm(true);
  joining.confirm(true);
  const [result, phone] = await Promise.all([session.done, joining.done]);
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([phone.close(), alice.close(), bob.close()]);
  return { messages, items: result.items, seconds, perSecond: Math.round(messages / seconds) };
}
