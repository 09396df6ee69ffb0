/**
 * The vector directory as a whole: generate.ts writes exactly the committed files, and every file
 * added since the independent implementation's review (docs/protocol-vectors.md §10) says what it is and
 * which spec sections it covers. The existing files keep their shape: they are a contract.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeBackend } from '../src/crypto/node.ts';
import { buildAllVectors } from './vectors/generate.ts';

const dir = new URL('./vectors/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const spec = readFileSync(new URL('../../../docs/protocol-vectors.md', import.meta.url), 'utf8');
const NEW = [
  'pqxdh-no-opk.json',
  'last-resort.json',
  'identity-pinning.json',
  'bound-proofs.json',
  'skipped-keys.json',
  'padding.json',
  'negative.json',
  'ed25519-edge.json',
  'sealed-initial.json',
  'device-link.json',
];

describe('test/vectors/', () => {
  it('holds exactly the files generate.ts writes', () => {
    expect(Object.keys(buildAllVectors(nodeBackend)).sort()).toEqual([...files].sort());
  });

  it.each(NEW)('%s has a description and the spec sections it covers, and §10 lists it', (name) => {
    const v = JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as { description?: unknown; sections?: unknown };
    expect(typeof v.description).toBe('string');
    expect(v.sections).toMatch(/^docs\/protocol\.md §\d/);
    expect(spec).toContain(`\`${name}\``);
  });
});
