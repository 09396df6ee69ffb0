/**
 * What a new user meets first: hints that run as printed (with the --home they gave), errors that
 * name what was wrong, `init` that leaves nothing behind and says what answered, and limits that
 * are stated and counted as users see text.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Home, parley, useTestHomes, useTestServer } from '@parley/testkit';
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

/** Splits a command line the way a POSIX shell does for plain and single-quoted words. */
function shellSplit(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/(?:[^\s']+|'[^']*')+/g)) words.push(m[0].replace(/'([^']*)'/g, '$1'));
  return words;
}

describe('hints and errors', () => {
  it('"unknown command" names the command', async () => {
    const r = await parley(['sned', 'Bob', 'hi']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "sned"');
    const h = await parley(['help', 'sned']);
    expect(h.stderr).toContain('unknown command "sned"');
  });

  it('hints repeat the --home given and quote names with spaces, so they run as printed', async () => {
    const carol = await Home.create(server.url, 'Carol van Dijk');
    homes.push(carol);
    const { invitation } = await carol.json('invite');
    const connect = await alice.run('connect', invitation.link);
    expect(connect.code).toBe(0);
    expect(connect.stdout).toContain(`parley --home ${alice.dir} receive`);
    await carol.json('receive');
    const received = await alice.run('receive');
    expect(received.code).toBe(0);
    // The contact is named by what Carol calls herself, quoted for the shell.
    const hint = `parley --home ${alice.dir} send 'Carol van Dijk' TEXT`;
    expect(received.stdout).toContain(hint);
    // Run exactly what was printed (split as a POSIX shell does), with TEXT filled in.
    const words = shellSplit(hint.replace(/TEXT$/, 'hello'));
    expect(words[0]).toBe('parley');
    const send = await parley(words.slice(1));
    expect(send.code, send.stderr).toBe(0);
    const verify = await alice.run('verify', 'Carol van Dijk');
    expect(verify.stdout).toContain(`parley --home ${alice.dir} verify 'Carol van Dijk' --confirm`);
  }, 90_000);
});

describe('init', () => {
  it('against a down server leaves no profiles folder behind', async () => {
    const eve = Home.empty('Eve');
    homes.push(eve);
    const r = await eve.run('init', '--server', `http://127.0.0.1:${await closedPort()}`, '--name', 'Eve');
    expect(r.code).toBe(4);
    expect(existsSync(join(eve.dir, 'profiles'))).toBe(false);
    expect(readdirSync(eve.dir)).toEqual([]);
  }, 60_000);

  it('against a web server that is not Parley says what answered, not "cannot reach"', async () => {
    const web = createHttpServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body>Not Found</body></html>');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
    try {
      const eve = Home.empty('Eve');
      homes.push(eve);
      const r = await eve.run('init', '--server', url, '--name', 'Eve');
      expect(r.code).not.toBe(0);
      expect(r.stderr).not.toMatch(/cannot reach/i);
      expect(r.stderr).toContain(`${url} answered but is not a Parley server (HTTP 404)`);
      expect(existsSync(join(eve.dir, 'profiles'))).toBe(false);
    } finally {
      await new Promise((r) => web.close(r));
    }
  }, 60_000);

  it('refuses a passphrase shorter than 8 characters, saying why', async () => {
    const eve = Home.empty('Eve');
    homes.push(eve);
    const r = await eve.runWith({ env: { PARLEY_PASSPHRASE: 'abc' } }, 'init', '--server', server.url);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('at least 8 characters');
    expect(existsSync(join(eve.dir, 'profiles'))).toBe(false);
  }, 60_000);
});

describe('message length', () => {
  it('is stated in --help and counted in characters as users see them', async () => {
    const help = await parley(['send', '--help']);
    expect(help.stdout).toMatch(/at most\s+4000 characters/);
    const { invitation } = await bob.json('invite');
    await alice.json('connect', invitation.link, '--name', 'Bobby');
    await bob.json('receive');
    await alice.json('receive');
    // 4000 flags: 4000 characters on screen, 16000 UTF-16 units; accepted.
    const flags = '🇳🇱'.repeat(4000);
    const ok = await alice.run('send', 'Bobby', flags, '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const long = await alice.run('send', 'Bobby', 'x'.repeat(4001));
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('4001 characters');
    expect(long.stdout + long.stderr).not.toContain('xxxx');
  }, 90_000);
});
