import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';

// `npm run demo` must keep working: it is how a newcomer first sees the protocol run.
it('the demo runs a conversation end to end and the safety numbers match', () => {
  const demo = new URL('../examples/demo.ts', import.meta.url).pathname;
  const out = execFileSync(process.execPath, ['--import', 'tsx', demo], { encoding: 'utf8', timeout: 60_000 });
  expect(out).toContain('"Hi Bob, it is Alice."');
  expect(out).toContain('refused a replayed message (duplicate-message)');
  expect(out).toContain('they match');
}, 60_000);
