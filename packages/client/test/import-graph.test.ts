/**
 * The client's layers, checked from its imports (docs/client.md "Where things live"): the engine
 * is pure and knows nothing above it — not the transport (net/), the flows that drive it, the
 * facade (client.ts), the app's views or a platform — and no module imports itself back through
 * a cycle. The protocol core below imports nothing of ours.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLIENT_SRC = new URL('../src/', import.meta.url).pathname;
const PROTOCOL_SRC = new URL('../../protocol/src/', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The source without comments (an `@example` may show an import that is not one). */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every module specifier a file imports or re-exports (static, dynamic and type-only alike). */
function specifiers(text: string): string[] {
  const source = code(text);
  const out: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1] as string);
  return out;
}

/** The client's import graph: file (relative to src) → the client files it imports. */
function clientGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(CLIENT_SRC)) {
    const from = relative(CLIENT_SRC, file);
    const local = specifiers(readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(CLIENT_SRC, resolve(dirname(file), s)));
    graph.set(from, local);
  }
  return graph;
}

/** The cycles of a graph (each as the path that closes it), by depth-first search. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'active' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'active');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'active') found.push([...path.slice(path.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}

/** What the engine may not import: everything above it. */
const ABOVE_ENGINE = [
  /^net\//,
  /^flows\//,
  /^platform\//,
  /^client\.ts$/,
  /^client-options\.ts$/,
  /^api\.ts$/,
  /^views\.ts$/,
  /^index\.ts$/,
  /^node\.ts$/,
];

describe('the client import graph', () => {
  const graph = clientGraph();

  it('sees the files it checks (the parser finds imports)', () => {
    expect(graph.get('client.ts')).toContain('views.ts');
    expect([...graph.keys()].filter((f) => f.startsWith('engine/')).length).toBeGreaterThan(5);
  });

  it('keeps the engine below the transport, the flows, the facade, the views and the platforms', () => {
    const offending: string[] = [];
    for (const [from, imports] of graph) {
      if (!from.startsWith('engine/')) continue;
      for (const to of imports) if (ABOVE_ENGINE.some((re) => re.test(to))) offending.push(`${from} → ${to}`);
    }
    expect(offending).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('reads imports the way they are written, and not those in comments', () => {
    const source = [
      "import { a, type B } from './a.ts';",
      "import type {\n  C,\n  D,\n} from '../c.ts';",
      "export * from './e.ts';",
      "export { f } from './f.ts';",
      "const g = await import('./g.ts');",
      "/** @example\n * import { h } from '@parley/h';\n */",
      "// import { i } from './i.ts';",
    ].join('\n');
    expect(specifiers(source)).toEqual(['./a.ts', '../c.ts', './e.ts', './f.ts', './g.ts']);
  });

  it('finds a cycle and an upward import when there is one (the checks can fail)', () => {
    const bad = new Map([
      ['engine/a.ts', ['net/http.ts']],
      ['net/http.ts', ['engine/a.ts']],
    ]);
    expect(cycles(bad)).toEqual([['engine/a.ts', 'net/http.ts', 'engine/a.ts']]);
    expect(ABOVE_ENGINE.some((re) => re.test('net/http.ts'))).toBe(true);
  });
});

describe('the protocol core', () => {
  it('imports nothing of ours (no @parley/ package)', () => {
    const offending: string[] = [];
    for (const file of tsFiles(PROTOCOL_SRC)) {
      for (const s of specifiers(readFileSync(file, 'utf8'))) {
        if (s.startsWith('@parley/')) offending.push(`${relative(PROTOCOL_SRC, file)} → ${s}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
