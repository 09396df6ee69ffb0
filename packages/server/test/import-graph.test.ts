/**
 * The server's layering, checked on its import statements (import-graph.ts): the code HTTP and
 * the WebSocket share imports neither transport; storage imports nothing above it; nothing in
 * src/ imports in a cycle. And the scanner itself reads the import forms the sources use.
 */
import { describe, expect, it } from 'vitest';
import { findCycles, importsOf, readImportGraph, violations } from './import-graph.ts';

const SRC = new URL('../src/', import.meta.url).pathname;
const graph = readImportGraph(SRC);

const isHttp = (t: string) => t === 'hono' || t.startsWith('hono/') || t.startsWith('@hono/') || t.startsWith('http/');
const isWebSocket = (t: string) => t === 'ws' || t.startsWith('websocket/');

describe('the server import graph', () => {
  it('reads the sources, the shared code among them', () => {
    expect(graph.files).toContain('mailboxes/delivery.ts');
    expect(graph.files).toContain('http/app.ts');
    expect(graph.imports.get('http/app.ts')?.map((e) => e.target)).toContain('hono');
    expect(graph.imports.get('verifier/delivery-verifier.ts')?.map((e) => e.target)).toContain(
      'verifier/delivery-verifier-worker.mjs',
    );
  });

  it('keeps the shared delivery, mailbox and device-proof code free of HTTP and WebSocket imports', () => {
    const shared = (f: string) =>
      f.startsWith('mailboxes/') || f.startsWith('accounts/') || f === 'domain-error.ts' || f === 'challenges.ts';
    expect(violations(graph, { from: shared, to: isHttp })).toEqual([]);
    expect(violations(graph, { from: shared, to: isWebSocket })).toEqual([]);
  });

  it('keeps storage and the verifier below the transports', () => {
    const below = (f: string) => f.startsWith('storage/') || f.startsWith('verifier/');
    expect(
      violations(graph, { from: below, to: (t) => isHttp(t) || isWebSocket(t) || t.startsWith('mailboxes/') }),
    ).toEqual([]);
  });

  it('keeps the cluster bus below the transports, the mailboxes and storage', () => {
    expect(graph.files).toContain('bus/nats-bus.ts');
    expect(
      violations(graph, {
        from: (f) => f.startsWith('bus/'),
        to: (t) => isHttp(t) || isWebSocket(t) || t.startsWith('mailboxes/') || t.startsWith('storage/'),
      }),
    ).toEqual([]);
  });

  it('keeps the two transports apart', () => {
    expect(violations(graph, { from: (f) => f.startsWith('websocket/'), to: isHttp })).toEqual([]);
    expect(violations(graph, { from: (f) => f.startsWith('http/'), to: isWebSocket })).toEqual([]);
  });

  it('has no import cycle, type-only imports included (a worker script is not an import)', () => {
    expect(findCycles(graph)).toEqual([]);
  });
});

describe('the import scanner', () => {
  it('finds every import form and ignores imports in comments', () => {
    const text = [
      "import a from './a.ts';",
      "import type { B } from '../b.ts';",
      'import {\n  c,\n  type D,\n} from "c-pkg";',
      "export * from './e.ts';",
      "export { f } from './f.ts';",
      "import './side-effect.ts';",
      "const g = await import('./g.ts');",
      "const w = new URL('./worker.mjs', import.meta.url);",
      "// import x from './not-this.ts';",
      "/** import y from './nor-this.ts'; */",
      "const s = 'from \\'./string.ts\\'';",
    ].join('\n');
    expect(importsOf(text)).toEqual(
      expect.arrayContaining([
        { specifier: './a.ts', typeOnly: false },
        { specifier: '../b.ts', typeOnly: true },
        { specifier: 'c-pkg', typeOnly: false },
        { specifier: './e.ts', typeOnly: false },
        { specifier: './f.ts', typeOnly: false },
        { specifier: './side-effect.ts', typeOnly: false },
        { specifier: './g.ts', typeOnly: false },
        { specifier: './worker.mjs', typeOnly: false, worker: true },
      ]),
    );
    expect(importsOf(text).map((i) => i.specifier)).not.toEqual(expect.arrayContaining(['./not-this.ts']));
    expect(importsOf(text)).toHaveLength(8);
  });

  it('finds a cycle and a violation when there is one', () => {
    const g = {
      files: ['a.ts', 'b.ts', 'c.ts'],
      imports: new Map([
        [
          'a.ts',
          [
            { target: 'b.ts', typeOnly: false },
            { target: 'c.ts', typeOnly: false, worker: true },
          ],
        ],
        [
          'b.ts',
          [
            { target: 'a.ts', typeOnly: true },
            { target: 'hono', typeOnly: false },
          ],
        ],
        ['c.ts', [{ target: 'a.ts', typeOnly: false }]],
      ]),
    };
    expect(findCycles(g)).toEqual([['a.ts', 'b.ts', 'a.ts']]);
    expect(findCycles(g, { includeTypeOnly: false })).toEqual([]);
    expect(violations(g, { from: (f) => f === 'b.ts', to: (t) => t === 'hono' })).toEqual(['b.ts → hono']);
  });
});
