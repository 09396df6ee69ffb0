/**
 * `parley` on bad input: each case a clear message, a meaningful exit code, and nothing changed.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type CliResult, Home, parley, startServer, useTestHomes, useTestServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';

const server = useTestServer();
const { alice, bob, homes } = useTestHomes(server);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function expectError(r: CliResult, exit: number, code: string): void {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(exit);
  if (r.json !== undefined) {
    expect(r.json.error.code).toBe(code);
    expect(r.stdout.trim().split('\n')).toHaveLength(1); // one document
  } else {
    expect(r.stderr).toMatch(/^parley: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }
}

describe('invitation links', () => {
  it('refuses malformed, truncated, reused, foreign and own links with exit 5, changing nothing', async () => {
    const { invitation } = await alice.json('invite');
    const link: string = invitation.link;
    await bob.json('connect', link, '--name', 'Alice');
    await alice.json('receive'); // takes Bob's hello: the invitation is used up

    // Alice's and Bob's commands run side by side (each profile takes one command at a time).
    const [reused, malformed] = await Promise.all([
      bob.run('connect', link),
      alice.run('connect', 'parley://invite/this-is-not-a-link!', '--json'),
    ]);
    const [truncated, foreign] = await Promise.all([
      bob.run('connect', link.slice(0, 60)),
      alice.run('connect', 'https://example.com/invite/abc', '--json'),
    ]);
    const [inviteToRequest, { address }] = await Promise.all([
      bob.run('request', link, '--json'),
      alice.json('address', 'create'),
    ]);
    const [addressToConnect, own] = await Promise.all([bob.run('connect', address.link), alice.json('invite')]);
    const ownUse = await alice.run('connect', own.invitation.link, '--json');

    expectError(reused, 5, 'invitation-used');
    expect(reused.stderr).toContain('already used');
    expectError(malformed, 5, 'bad-link');
    expectError(truncated, 5, 'bad-link');
    expect(truncated.stderr).toContain('not a valid Parley invitation link');
    expectError(foreign, 5, 'bad-link');
    expectError(inviteToRequest, 5, 'bad-link');
    expectError(addressToConnect, 5, 'bad-link');
    expect(addressToConnect.stderr).toContain('parley request');
    expectError(ownUse, 5, 'own-link');
    for (const r of [reused, malformed, truncated, foreign, inviteToRequest, addressToConnect]) {
      expect(r.stdout + r.stderr).not.toContain(link.slice(16, 60));
    }

    // Nothing half-made: Bob still has exactly the one contact.
    const { contacts } = await bob.json('contacts');
    expect(contacts.map((c: { name: string }) => c.name)).toEqual(['Alice']);
  }, 90_000);
});

describe('contacts, passphrases, servers', () => {
  it('an unknown contact or request is exit 6; the message text is not echoed', async () => {
    const r = await bob.run('send', 'Nobody', 'secret words', '--json');
    expectError(r, 6, 'unknown-contact');
    expect(r.stdout).not.toContain('secret words');
    const human = await bob.run('history', 'Nobody');
    expectError(human, 6, 'unknown-contact');
    expect(human.stderr).toContain('run `contacts` to list them');
    expectError(await alice.run('requests', 'accept', '12345'), 6, 'unknown-request');
  }, 60_000);

  it('a wrong passphrase is exit 3 and changes nothing', async () => {
    const before = await bob.json('contacts');
    const wrong = await bob.runWith({ env: { PARLEY_PASSPHRASE: 'not it' } }, 'send', 'Alice', 'hi');
    expectError(wrong, 3, 'wrong-passphrase');
    expect(wrong.stderr).toMatch(/passphrase/i);
    expect(await bob.json('contacts')).toEqual(before);
  }, 60_000);

  it('without PARLEY_PASSPHRASE and without a terminal it says what to do', async () => {
    const r = await bob.runWith({ env: { PARLEY_PASSPHRASE: undefined } }, 'contacts');
    expectError(r, 3, 'no-passphrase');
    expect(r.stderr).toContain('PARLEY_PASSPHRASE');
  }, 60_000);

  it('a profile in use by another command is exit 3; SIGTERM closes it (143) and frees it', async () => {
    const waiting = bob.start(['receive', '--wait', '30']);
    const lock = join(bob.dir, 'profiles', 'default', 'lock');
    const deadline = Date.now() + 20_000;
    while (!existsSync(lock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const busy = await bob.run('send', 'Alice', 'hi', '--json');
    expectError(busy, 3, 'profile-busy');
    waiting.child.kill('SIGTERM');
    const ended = await waiting.done;
    expect(ended.code).toBe(143);
    expect(existsSync(lock)).toBe(false);
    expect((await bob.run('receive')).code).toBe(0);
  }, 60_000);
});

// These use homes of their own (or none): they run side by side.
describe.concurrent('own homes, profiles and usage', () => {
  it('init against an unreachable server is exit 4, leaves no profile, and can be retried', async () => {
    const eve = Home.empty('Eve');
    homes.push(eve);
    const port = await closedPort();
    const r = await eve.run('init', '--server', `http://127.0.0.1:${port}`, '--name', 'Eve');
    expectError(r, 4, 'server-unreachable');
    expect(r.stderr).toContain('Cannot reach the server');
    expect((await eve.json('profiles')).profiles).toEqual([]);
    expect(existsSync(join(eve.dir, 'profiles', 'default'))).toBe(false);
    const again = await eve.json('init', '--server', server.url, '--name', 'Eve');
    expect(again.profile.displayName).toBe('Eve');
    expect(again.default).toBe(true);
    expectError(await eve.run('init', '--server', server.url), 3, 'profile-exists');
  }, 60_000);

  it('a private server refuses init without its registration key (exit 4)', async () => {
    const closed = await startServer(['--registration-key', 'letmein']);
    try {
      const frank = Home.empty('Frank');
      homes.push(frank);
      const refused = await frank.run('init', '--server', closed.url, '--json');
      expectError(refused, 4, 'registration-refused');
      await frank.json('init', '--server', closed.url, '--registration-key', 'letmein');
    } finally {
      await closed.stop();
    }
  }, 60_000);

  it('keeps several profiles; use switches the default; remove and delete-account need --yes', async () => {
    const home = Home.empty('Gina');
    homes.push(home);
    await home.json('init', '--server', server.url, '--name', 'Gina');
    const work = await home.json('--profile', 'work', 'init', '--server', server.url, '--name', 'Gina at work');
    expect(work.default).toBe(false);
    expect(await home.json('profiles')).toEqual({
      profiles: [
        { name: 'default', default: true },
        { name: 'work', default: false },
      ],
      default: 'default',
    });
    expectError(await home.run('profiles', 'use', 'nope'), 3, 'no-profile');
    await home.json('profiles', 'use', 'work');
    expect((await home.json('profiles')).default).toBe('work');
    // The default profile is now `work`: `delete-account` acts on it.
    expectError(await home.run('delete-account'), 2, 'usage');
    expect(await home.json('delete-account', '--yes')).toEqual({ deleted: 'work', default: 'default' });
    expectError(await home.run('profiles', 'remove', 'default'), 2, 'usage');
    expect(await home.json('profiles', 'remove', 'default', '--yes')).toMatchObject({
      removed: 'default',
      default: null,
    });
    expect(await home.json('profiles')).toEqual({ profiles: [], default: null });
    expectError(await home.run('contacts'), 3, 'no-profile');
  }, 60_000);

  const COMMANDS = [
    'init',
    'profiles',
    'invite',
    'connect',
    'address',
    'request',
    'requests',
    'contacts',
    'send',
    'receive',
    'history',
    'chat',
    'verify',
    'identity',
    'delete-account',
  ];

  it('--help works on every command (exit 0, usage, options, an example)', async () => {
    const lines = [
      ['--help'],
      ['-h'],
      ['help', 'send'],
      ...COMMANDS.map((c) => [c, '--help']),
      ['profiles', 'use', '--help'],
      ['address', 'create', '-h'],
    ];
    const results: CliResult[] = [];
    for (let i = 0; i < lines.length; i += 4) {
      results.push(...(await Promise.all(lines.slice(i, i + 4).map((l) => parley(l)))));
    }
    results.forEach((r, i) => {
      expect(r.code, `parley ${lines[i]?.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('Usage:');
      expect(r.stdout).toContain('Examples:');
    });
    expect(results[0]?.stdout).toContain('Exit codes:');
    expect(results[0]?.stdout).toContain('PARLEY_PASSPHRASE');
    for (const c of COMMANDS) expect(results[0]?.stdout).toContain(`  ${c} `);
  }, 60_000);

  it('unknown commands and options, and missing arguments, are exit 2 with usage', async () => {
    const [unknown, noCommand, badOption, missingText, missingLink, jsonUnknown, emptyStdin] = await Promise.all([
      parley(['frobnicate']),
      parley([]),
      bob.run('contacts', '--bogus'),
      bob.run('send', 'Alice'),
      bob.run('connect'),
      parley(['--json', 'frobnicate']),
      bob.run('send', 'Alice', '-'),
    ]);
    for (const r of [unknown, noCommand, badOption, missingText, missingLink, emptyStdin]) expectError(r, 2, 'usage');
    expect(unknown.stderr).toContain('unknown command');
    expect(unknown.stderr).toContain('parley --help');
    expect(badOption.stderr).toContain('unknown option --bogus');
    expect(missingText.stderr).toContain('missing TEXT');
    expect(missingText.stderr).toContain('parley send CONTACT TEXT...');
    expect(missingLink.stderr).toContain('missing LINK');
    expectError(jsonUnknown, 2, 'usage');
    expect(emptyStdin.stderr).toContain('the message is empty');
    expectError(await bob.run('delete-account'), 2, 'usage'); // needs --yes
  }, 60_000);
});
