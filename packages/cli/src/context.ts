/**
 * What a command runs with: the global options, output (human or JSON), the SDK (loaded on first
 * use, so that help and usage errors stay fast), and the clients it opened — all closed by the
 * caller when the command ends, fails or is interrupted.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ParleyClient } from '@parley/client';
import { CliError } from './errors.ts';
import { shellWord } from './format.ts';
import { askPassphrase } from './passphrase.ts';

export type NodeSdk = typeof import('@parley/client/node');
export type ClientSdk = typeof import('@parley/client');

export interface Sdk {
  readonly node: NodeSdk;
  readonly client: ClientSdk;
}

let sdk: Promise<Sdk> | undefined;

export function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([import('@parley/client/node'), import('@parley/client')]).then(([node, client]) => ({
    node,
    client,
  }));
  return sdk;
}

/** stdout that survives a closed pipe (`parley history Bob | head`). */
class Output {
  private broken = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.broken = true;
    });
  }

  write(text: string): void {
    if (!this.broken) this.stream.write(text);
  }

  /** Resolves once everything written so far is handed to the OS. */
  flush(): Promise<void> {
    if (this.broken) return Promise.resolve();
    return new Promise((resolve) => this.stream.write('', () => resolve()));
  }
}

export interface GlobalOptions {
  readonly home: string;
  /** `--home`, if given (hints repeat it). */
  readonly homeOption?: string | undefined;
  readonly profile: string | undefined;
  readonly json: boolean;
}

export class Context {
  readonly home: string;
  /** `--home`, if given. */
  readonly homeOption: string | undefined;
  /** `--profile`, if given. */
  readonly profileOption: string | undefined;
  readonly json: boolean;
  readonly stdout = new Output(process.stdout);
  private readonly opened: { client: ParleyClient; release: () => void }[] = [];
  /** Work that must finish before the clients close, even on a signal (see `finishFirst`). */
  private readonly unfinished = new Set<Promise<unknown>>();

  constructor(options: GlobalOptions) {
    this.home = options.home;
    this.homeOption = options.homeOption;
    this.profileOption = options.profile;
    this.json = options.json;
  }

  sdk(): Promise<Sdk> {
    return loadSdk();
  }

  /** A line of human output (nothing in JSON mode). */
  print(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** A note or warning for the person at the terminal: stderr, in both modes. */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  /** The command's JSON document (JSON mode), or `human()` output. */
  result(document: unknown, human: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify(document)}\n`);
    else human();
  }

  /**
   * A `parley` command line to suggest, runnable as shown: it repeats the --home and --profile this
   * command was given, and quotes words (contact names) for the shell. Placeholders (TEXT, LINK)
   * are passed as they are, for the user to replace.
   */
  cmd(...words: string[]): string {
    return commandLine(words, this.homeOption, this.profileOption);
  }

  location(profile = this.profileOption): { home: string; profile?: string } {
    return profile === undefined ? { home: this.home } : { home: this.home, profile };
  }

  /**
   * Opens the profile (asking for its passphrase). Commands that change it hold the profile's
   * lock until the end; `readOnly` ones (listing, history) do not.
   */
  async open(options: { readOnly?: boolean; profile?: string } = {}): Promise<ParleyClient> {
    const { node } = await this.sdk();
    const profile = node.resolveProfile(this.location(options.profile ?? this.profileOption));
    if (!node.listProfiles(this.home).includes(profile)) throw noProfile(node.listProfiles(this.home), profile);
    try {
      // The SDK holds the profile's lock until the client closes; asked for after taking it, the
      // passphrase is not typed in vain when another command has the profile.
      const client = await node.openProfile({
        home: this.home,
        profile,
        passphrase: () => askPassphrase(profile),
        lock: !options.readOnly,
      });
      this.opened.push({ client, release: () => undefined });
      return client;
    } catch (e) {
      if (e instanceof node.ProfileLockedError) throw profileBusy(e.holderPid, profile);
      throw e;
    }
  }

  /** Closes `client` with the others at the end (a client the command made itself). */
  adopt(client: ParleyClient, release: () => void = () => undefined): void {
    this.opened.push({ client, release });
  }

  /**
   * Makes closeAll (and so Ctrl-C) wait for `work`: e.g. `receive` taking messages it printed out
   * of the inbox, so that an interrupted run does not print them again next time.
   */
  finishFirst(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.unfinished.delete(tracked));
    this.unfinished.add(tracked);
  }

  /** Set once closeAll has begun (a signal, or the command's end): later failures are its doing. */
  closing = false;

  /** Closes every client this command opened (each closes its store) and releases the locks. */
  async closeAll(): Promise<void> {
    this.closing = true;
    // No new messages while the unfinished work completes.
    for (const { client } of this.opened) await client.stop().catch(() => undefined);
    while (this.unfinished.size > 0) await Promise.all([...this.unfinished]);
    while (this.opened.length > 0) {
      const { client, release } = this.opened.pop() as { client: ParleyClient; release: () => void };
      try {
        await client.close();
      } finally {
        release();
      }
    }
  }

  /** Forgets a client the command closed itself (still releasing its lock). */
  async closeClient(client: ParleyClient): Promise<void> {
    const i = this.opened.findIndex((o) => o.client === client);
    const entry = i >= 0 ? this.opened.splice(i, 1)[0] : undefined;
    try {
      await client.close();
    } finally {
      entry?.release();
    }
  }

  flush(): Promise<void> {
    return this.stdout.flush();
  }
}

/** `parley [--home DIR] [--profile NAME] WORDS…`, each word quoted for a POSIX shell. */
export function commandLine(words: readonly string[], home?: string, profile?: string): string {
  const globals = [
    ...(home === undefined ? [] : ['--home', home]),
    ...(profile === undefined ? [] : ['--profile', profile]),
  ];
  return ['parley', ...globals, ...words].map((w, i) => (i === 0 ? w : shellWord(w))).join(' ');
}

export function noProfile(existing: readonly string[], profile: string): CliError {
  return new CliError(
    'no-profile',
    existing.length === 0
      ? 'There is no Parley profile here yet: run `parley init --server URL` first.'
      : `There is no profile named ${profile}: run \`parley profiles\` to list them.`,
  );
}

/** Whether the profile's store exists (without opening it). */
export function profileExists(home: string, profile: string): boolean {
  return existsSync(join(home, 'profiles', profile, 'store.db'));
}

export function profileBusy(pid: number, profile: string): CliError {
  return new CliError(
    'profile-busy',
    `Another parley command (process ${pid}) is using profile ${profile}, e.g. a chat or receive --wait. Let it finish or stop it, then try again.`,
  );
}
