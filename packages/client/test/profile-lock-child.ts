/**
 * A second process for profile-lock.test.ts, run as `node --import tsx <this> HOME PROFILE`: opens
 * the profile through the SDK, prints `open` (or the error's code), and closes it when its stdin
 * says `close` (then prints `closed` and exits).
 */
import { createInterface } from 'node:readline';
import { ClientError } from '../src/errors.ts';
import { openProfile } from '../src/platform/node/index.ts';

const [home, profile] = process.argv.slice(2);
if (home === undefined || profile === undefined) throw new Error('usage: HOME PROFILE');
try {
  const client = await openProfile({ home, profile, passphrase: 'correct horse', lockWaitMs: 200 });
  process.stdout.write('open\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'close') break;
  }
  await client.close();
  process.stdout.write('closed\n');
} catch (e) {
  process.stdout.write(`${ClientError.is(e) ? e.code : 'error'}\n`);
}
process.exit(0); // stdin stays open otherwise
