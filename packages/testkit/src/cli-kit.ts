/**
 * Helpers for CLI tests: run `parley` as a child process against a client home (a temporary
 * directory) and collect its exit code, output and JSON document. Every child has a timeout, runs
 * in its own session (no controlling terminal, so nothing can prompt) and is killed if it hangs.
 *
 * @example
 * ```ts
 * const alice = await Home.create(server.url, 'Alice');
 * const { invitation } = await alice.json('invite');
 * const r = await bob.run('connect', invitation.link);   // { code, stdout, stderr, json }
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The `parley` command's launcher: the `bin` of @parley/cli, found through the package. */
export const CLI_BIN = join(dirname(createRequire(import.meta.url).resolve('@parley/cli')), '..', 'bin', 'parley.mjs');
export const PASSPHRASE = 'correct horse battery staple';
const DEFAULT_TIMEOUT_MS = 30_000;

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON, when it is one JSON document. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read documents of many shapes
  readonly json: any;
}

export interface RunOptions {
  /** Written to stdin (otherwise stdin is /dev/null). */
  readonly input?: string;
  /** Keep stdin open as a pipe, to answer prompts later through `child.stdin` (`startParley` only). */
  readonly openStdin?: true;
  /** Extra environment; a value of undefined removes the variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs?: number;
}

function childEnv(extra: RunOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_PASSPHRASE: PASSPHRASE };
  delete env.PARLEY_HOME;
  delete env.PARLEY_DEBUG;
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A running `parley` process, for commands that stay (receive --wait) or get killed. */
export interface Running {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the result once the process exits. */
  readonly done: Promise<CliResult>;
  /** Polls stdout until `predicate` holds (or the deadline passes: rejects). */
  waitForOutput(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
  /** The JSON documents printed so far, one per line (`--json` of commands that print several). */
  documents(): Record<string, unknown>[];
  /** Waits for the first document with `key` and gives its value. */
  waitForField(key: string, timeoutMs?: number): Promise<unknown>;
}

/** The lines of `stdout` that are JSON objects, parsed. */
function documentsOf(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function startParley(args: readonly string[], options: RunOptions = {}): Running {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    stdio: [options.input === undefined && !options.openStdin ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: childEnv(options.env),
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`parley ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, json: parseJson(stdout) });
    });
  });
  const running: Running = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    documents: () => documentsOf(stdout),
    async waitForField(key, waitMs) {
      await running.waitForOutput((out) => documentsOf(out).some((d) => key in d), waitMs);
      return documentsOf(stdout).find((d) => key in d)?.[key];
    },
    async waitForOutput(predicate, waitMs = 20_000) {
      const deadline = Date.now() + waitMs;
      while (!predicate(stdout)) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`parley exited before the expected output\nstdout: ${stdout}\nstderr: ${stderr}`);
        }
        if (Date.now() > deadline)
          throw new Error(`expected output did not appear\nstdout: ${stdout}\nstderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
  return running;
}

/** Runs `parley ARGS…` to completion. */
export function parley(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return startParley(args, options).done;
}

/** A client home directory with its profile, and shortcuts to run commands in it. */
export class Home {
  readonly dir: string;

  private constructor(readonly label: string) {
    this.dir = mkdtempSync(join(tmpdir(), `parley-cli-${label.toLowerCase()}-`));
  }

  /** A fresh home (no profile yet). */
  static empty(label: string): Home {
    return new Home(label);
  }

  /** A fresh home with a default profile on `server`, shown to contacts as `name`. */
  static async create(server: string, name: string): Promise<Home> {
    const home = new Home(name);
    await home.json('init', '--server', server, '--name', name);
    return home;
  }

  run(...args: string[]): Promise<CliResult> {
    return parley(['--home', this.dir, ...args]);
  }

  runWith(options: RunOptions, ...args: string[]): Promise<CliResult> {
    return parley(['--home', this.dir, ...args], options);
  }

  start(args: readonly string[], options: RunOptions = {}): Running {
    return startParley(['--home', this.dir, ...args], options);
  }

  /** Runs with --json, expects exit 0 and returns the document. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read documents of many shapes
  async json(...args: string[]): Promise<any> {
    const r = await this.run(...args, '--json');
    if (r.code !== 0 || r.json === undefined) {
      throw new Error(`parley ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return r.json;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Alice invites Bob; both receive, so both are connected (4 commands). */
export async function meet(alice: Home, bob: Home): Promise<void> {
  const { invitation } = await alice.json('invite');
  await bob.json('connect', invitation.link);
  await alice.json('receive');
  await bob.json('receive');
}

/** Texts of the messages in a `receive --json` document. */
// biome-ignore lint/suspicious/noExplicitAny: a receive document
export function texts(doc: any): string[] {
  return (doc.messages as { text: string }[]).map((m) => m.text);
}
