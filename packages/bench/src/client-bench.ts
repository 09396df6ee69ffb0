/**
 * `npm run bench:client`: what a user waits for, on loopback with a real server process.
 *
 * - SDK: profile open time (scrypt at the default cost, SQLite, the profile record) and
 *   send → receive latency between two running clients (`send()` called → the receiver's
 *   `message` event, push over WebSocket, both stores encrypted SQLite with fsync).
 * - CLI: start-up time (`parley contacts`, a whole process: Node, TypeScript loading, scrypt)
 *   and the time from starting `parley send` to the line printed by the other side's
 *   `parley receive --wait`.
 *
 * - History transfer: linking a new device to a profile with a conversation of N messages, from
 *   both confirmations to the new device having them all (history-bench.ts), in messages/s.
 *
 * - Multi-device: Alice and Bob with 6 devices each, from a send to all 11 other devices having
 *   it, and CPU per message, beside the same measure with one device each (multi-device-bench.ts).
 *
 * Prints medians and p90s; the last line is one JSON object.
 * Options: --messages N (SDK sends, default 50, also the multi-device case's), --runs N (CLI
 * runs, default 10), --history N (messages transferred, default 1000), --devices N (devices per
 * account in the multi-device case, 2–6, default 6).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProfile, openProfile } from '@parley/client/node';
import { CLI_BIN as CLI } from '@parley/testkit/cli-kit';
import { startServer } from '@parley/testkit/server-process';
import { historyFigures } from './history-bench.ts';
import { multiDeviceReport } from './multi-device-bench.ts';

const PASSPHRASE = 'bench passphrase';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} takes a positive integer`);
  return v;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
const ms = (x: number) => Math.round(x * 10) / 10;
const now = () => performance.now();

function cli(home: string, args: string[]): Promise<{ code: number | null; stdout: string; ms: number }> {
  const start = now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--home', home, ...args], {
      env: { ...process.env, PARLEY_PASSPHRASE: PASSPHRASE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, ms: now() - start }));
  });
}

async function cliOk(home: string, args: string[]) {
  const r = await cli(home, args);
  if (r.code !== 0) throw new Error(`parley ${args[0]} exited ${r.code}`);
  return r;
}

async function sdkFigures(server: string, dir: string, messages: number) {
  const alice = await createProfile({
    home: dir,
    profile: 'alice',
    passphrase: PASSPHRASE,
    server,
    displayName: 'Alice',
  });
  const bob = await createProfile({ home: dir, profile: 'bob', passphrase: PASSPHRASE, server, displayName: 'Bob' });
  const { link } = await alice.createInvitation();
  await bob.connect(link);
  await alice.sync();
  await bob.sync();
  // Both running, as two chat apps would be: the receiver gets pushes, and the sender delivers to
  // its own server over its push connection (docs/client.md §4.3).
  await alice.start();
  await bob.start();
  await new Promise((r) => setTimeout(r, 500)); // subscribed
  const latencies: number[] = [];
  for (let i = 0; i < messages; i++) {
    const text = `bench ${i}`;
    const got = new Promise<number>((resolve) => {
      const off = alice.on((e) => {
        if (e.type === 'message' && e.message.text === text) {
          off();
          resolve(now());
        }
      });
    });
    const start = now();
    await bob.send('Alice', text);
    latencies.push((await got) - start);
  }
  await alice.close();
  await bob.close();
  const opens: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = now();
    const c = await openProfile({ home: dir, profile: 'alice', passphrase: PASSPHRASE });
    opens.push(now() - start);
    await c.close();
  }
  return { latencies, opens };
}

async function cliFigures(server: string, dir: string, runs: number) {
  const a = join(dir, 'cli-alice');
  const b = join(dir, 'cli-bob');
  await cliOk(a, ['init', '--server', server, '--name', 'Alice']);
  await cliOk(b, ['init', '--server', server, '--name', 'Bob']);
  const invite = JSON.parse((await cliOk(a, ['invite', '--json'])).stdout) as { invitation: { link: string } };
  await cliOk(b, ['connect', invite.invitation.link]);
  await cliOk(a, ['receive']);
  await cliOk(b, ['receive']);

  const startups: number[] = [];
  for (let i = 0; i < runs; i++) startups.push((await cliOk(a, ['contacts'])).ms);

  const latencies: number[] = [];
  const receiver: ChildProcess = spawn(process.execPath, [CLI, '--home', a, 'receive', '--wait', '600'], {
    env: { ...process.env, PARLEY_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  const waiters = new Map<string, (t: number) => void>();
  receiver.stdout?.on('data', (d) => {
    printed += d;
    for (const [text, resolve] of waiters) {
      if (printed.includes(text)) {
        waiters.delete(text);
        resolve(now());
      }
    }
  });
  await new Promise((r) => setTimeout(r, 3000)); // the receiver is up and subscribed
  for (let i = 0; i < runs; i++) {
    const text = `cli-bench-${i}-${Math.random().toString(36).slice(2)}`;
    const seen = new Promise<number>((resolve) => waiters.set(text, resolve));
    const start = now();
    await cliOk(b, ['send', 'Alice', text]);
    latencies.push((await seen) - start);
  }
  receiver.kill('SIGTERM');
  return { startups, latencies };
}

const messages = option('messages', 50);
const runs = option('runs', 10);
const historyMessages = option('history', 1000);
const devices = option('devices', 6);
const server = await startServer();
const dir = mkdtempSync(join(tmpdir(), 'parley-client-bench-'));
try {
  const sdk = await sdkFigures(server.url, dir, messages);
  console.log(
    `SDK  send → receive (push), ${messages} messages: median ${ms(quantile(sdk.latencies, 0.5))} ms, p90 ${ms(quantile(sdk.latencies, 0.9))} ms`,
  );
  console.log(`SDK  profile open (scrypt N=2^17 + SQLite), 5 runs: median ${ms(quantile(sdk.opens, 0.5))} ms`);
  const c = await cliFigures(server.url, dir, runs);
  console.log(`CLI  start-up (parley contacts), ${runs} runs: median ${ms(quantile(c.startups, 0.5))} ms`);
  console.log(
    `CLI  parley send → printed by receive --wait, ${runs} runs: median ${ms(quantile(c.latencies, 0.5))} ms, p90 ${ms(quantile(c.latencies, 0.9))} ms`,
  );
  const h = await historyFigures(server.url, dir, historyMessages);
  console.log(
    `SDK  linking a new device after both confirmed (registration, grant, history) with ${h.messages} messages: ${h.seconds.toFixed(2)} s, ${h.perSecond} messages/s`,
  );
  const md = await multiDeviceReport(server.url, server.process.pid ?? 0, dir, devices, messages);
  for (const l of md.lines) console.log(l);
  console.log(
    JSON.stringify({
      multi_device: md.json,
      history_transfer: { messages: h.messages, seconds: ms(h.seconds), messages_per_s: h.perSecond },
      sdk: {
        send_to_receive_ms: { p50: ms(quantile(sdk.latencies, 0.5)), p90: ms(quantile(sdk.latencies, 0.9)) },
        open_ms: ms(quantile(sdk.opens, 0.5)),
      },
      cli: {
        startup_ms: ms(quantile(c.startups, 0.5)),
        send_to_print_ms: { p50: ms(quantile(c.latencies, 0.5)), p90: ms(quantile(c.latencies, 0.9)) },
      },
    }),
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
