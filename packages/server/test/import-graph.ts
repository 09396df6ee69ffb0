/**
 * A package's import graph, read from its sources, and the rules a layout must keep: no cycles,
 * and no imports across a forbidden boundary (shared code into a transport, storage into the
 * HTTP layer…). Reusable by any package's tests: give it a source folder, then check rules.
 *
 * Imports are read with a tokenizer-free scan (comments stripped first): static `import … from`,
 * `export … from`, side-effect `import '…'`, `import('…')`, and `new URL('…', import.meta.url)`
 * (how workers are loaded). Relative specifiers are resolved to paths relative to the folder;
 * bare ones (`hono`, `node:fs`, `@parley/protocol`) are kept as written.
 *
 * @example
 * ```ts
 * const graph = readImportGraph(new URL('../src/', import.meta.url).pathname);
 * expect(findCycles(graph)).toEqual([]);
 * expect(violations(graph, { from: (f) => f.startsWith('storage/'), to: (t) => t.startsWith('http/') })).toEqual([]);
 * ```
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface ImportEdge {
  /** What is imported: a path relative to the root (for relative specifiers), else the specifier. */
  readonly target: string;
  /** Whether every name imported is a type (`import type`, `export type`): erased at run time. */
  readonly typeOnly: boolean;
  /**
   * Whether it is a worker's script (`new URL('…', import.meta.url)`): loaded in another thread,
   * with a module graph of its own, so it is no edge of a cycle.
   */
  readonly worker?: boolean;
}

export interface ImportGraph {
  /** The source files, relative to the root, with `/` separators. */
  readonly files: readonly string[];
  readonly imports: ReadonlyMap<string, readonly ImportEdge[]>;
}

const SOURCE = /\.(ts|mts|mjs|js)$/;

function sourcesUnder(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourcesUnder(root, rel));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out.sort();
}

/** Removes comments (keeping string literals intact), so an import in a doc example is not one. */
function stripComments(text: string): string {
  return text.replace(
    /("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (m, str) => (str === undefined ? ' ' : m),
  );
}

/** new URL('…', import.meta.url): how a worker's script is named. */
const WORKER = /()()\bnew\s+URL\s*\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g;

const PATTERNS: readonly RegExp[] = [
  // import x from '…', import { a } from '…', import type { T } from '…', export { a } from '…', export * from '…'
  /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[\w*\s{},$]*?)\s*from\s*['"]([^'"]+)['"]/g,
  // import '…'
  /(?:^|[;\n])\s*(import)\s*()['"]([^'"]+)['"]/g,
  // import('…')
  /()()\bimport\s*\(\s*['"]([^'"]+)['"]/g,
  // new URL('…', import.meta.url): a worker's script
  WORKER,
];

/** The imports of one file's text, as written (specifier, and whether type-only). */
export function importsOf(text: string): { specifier: string; typeOnly: boolean; worker?: boolean }[] {
  const code = stripComments(text);
  const out: { specifier: string; typeOnly: boolean; worker?: boolean }[] = [];
  for (const pattern of PATTERNS) {
    for (const m of code.matchAll(pattern)) {
      const specifier = m[3] as string;
      const typeOnly = m[2] !== undefined && m[2] !== '';
      out.push(pattern === WORKER ? { specifier, typeOnly, worker: true } : { specifier, typeOnly });
    }
  }
  return out;
}

/** Reads every source file under `root` and resolves its imports. */
export function readImportGraph(root: string): ImportGraph {
  const files = sourcesUnder(root);
  const imports = new Map<string, ImportEdge[]>();
  for (const file of files) {
    const edges = importsOf(readFileSync(join(root, file), 'utf8')).map(({ specifier, ...kind }) => ({
      target: specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)) : specifier,
      ...kind,
    }));
    imports.set(file, edges);
  }
  return { files, imports };
}

/**
 * Import cycles among the files (each as the files around it), with type-only imports or without.
 * Worker scripts are not followed: a worker has a module graph of its own.
 */
export function findCycles(graph: ImportGraph, options: { includeTypeOnly?: boolean } = {}): string[][] {
  const includeTypeOnly = options.includeTypeOnly ?? true;
  const known = new Set(graph.files);
  const next = (f: string) =>
    (graph.imports.get(f) ?? [])
      .filter((e) => known.has(e.target) && e.worker !== true && (includeTypeOnly || !e.typeOnly))
      .map((e) => e.target);
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of next(f)) {
      if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.files) if (!state.has(f)) visit(f);
  return cycles;
}

export interface ImportRule {
  /** Which importing files the rule applies to (paths relative to the root). */
  readonly from: (file: string) => boolean;
  /** Which imports they may not make (a root-relative path, or a bare specifier). */
  readonly to: (target: string) => boolean;
}

/** Every import that breaks the rule, as `file → target`. */
export function violations(graph: ImportGraph, rule: ImportRule): string[] {
  const out: string[] = [];
  for (const file of graph.files) {
    if (!rule.from(file)) continue;
    for (const e of graph.imports.get(file) ?? []) if (rule.to(e.target)) out.push(`${file} → ${e.target}`);
  }
  return out;
}
