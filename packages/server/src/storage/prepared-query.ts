/**
 * Hot queries built and compiled once. Kysely builds an operation tree and compiles it to SQL on
 * every call; for the few queries that run for every message (about 15% of the event loop under
 * bench:server) that work is the same each time but for the values. A PreparedQuery is built
 * once, by the typed query builder and for the database's own dialect, with a numbered slot in
 * place of each value; every run reuses its SQL text and binds new values in the slots' places.
 * (SQLite then also finds the statement in its statement cache, see statement-cache.ts.)
 *
 * @example
 * ```ts
 * const byId = new PreparedQuery(database.db, (db, $) =>
 *   db.selectFrom('mailboxes').select('sender_key').where('mailbox_id', '=', $(0)),
 * );
 * const { rows } = await byId.execute(trx, [mailboxId]);
 * ```
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Schema } from './schema.ts';

/** Where a value goes: a slot is a stand-in object that the builder passes on as a parameter. */
class Slot {
  constructor(readonly index: number) {}
}

/** A slot, typed to fit any column. */
export type SlotOf = (index: number) => never;

export class PreparedQuery<Row> {
  readonly #compiled: CompiledQuery<Row>;
  /** For each compiled parameter, the index of its value in `execute`'s list, or -1: a constant. */
  readonly #positions: readonly number[];
  readonly #arity: number;
  /** SQLite: the statement compiled on the connection last used with {@link getOn} or {@link runOn}. */
  #statement: BetterSqlite3.Statement | null = null;

  constructor(db: Kysely<Schema>, build: (db: Kysely<Schema>, $: SlotOf) => Compilable<Row>) {
    const slots: Slot[] = [];
    const $: SlotOf = (index) => {
      const slot = new Slot(index);
      slots.push(slot);
      return slot as never;
    };
    this.#compiled = build(db, $).compile();
    this.#positions = this.#compiled.parameters.map((p) => (p instanceof Slot ? p.index : -1));
    const used = new Set(this.#positions.filter((i) => i >= 0));
    // Every slot must have become exactly one parameter, or the values would land elsewhere.
    if (used.size !== slots.length || this.#positions.filter((i) => i >= 0).length !== slots.length) {
      throw new Error('a prepared query must use each slot exactly once, as a parameter');
    }
    this.#arity = slots.length;
  }

  /** Runs the query with `values[i]` in slot `i`, on the database or inside a transaction. */
  execute(executor: Kysely<Schema>, values: readonly unknown[]): Promise<QueryResult<Row>> {
    return executor.executeQuery({ ...this.#compiled, parameters: this.parameters(values) });
  }

  /**
   * SQLite only: runs the query synchronously on `sqlite` and returns its first row (for the
   * batches that group-commit.ts runs synchronously). The statement is compiled once.
   */
  getOn(sqlite: BetterSqlite3.Database, values: readonly unknown[]): Row | undefined {
    return this.#on(sqlite).get(this.parameters(values)) as Row | undefined;
  }

  /** SQLite only: runs a statement that returns no rows synchronously; how many rows it changed. */
  runOn(sqlite: BetterSqlite3.Database, values: readonly unknown[]): number {
    return this.#on(sqlite).run(this.parameters(values)).changes;
  }

  /**
   * SQLite only: runs an INSERT synchronously and returns the new row's rowid. For a table whose
   * primary key is an `integer primary key`, that is the key; cheaper than `RETURNING`, whose rows
   * SQLite collects in a temporary table first (2.8 against 5.7–6.9 µs per delivery's insert).
   */
  insertOn(sqlite: BetterSqlite3.Database, values: readonly unknown[]): number {
    return Number(this.#on(sqlite).run(this.parameters(values)).lastInsertRowid);
  }

  #on(sqlite: BetterSqlite3.Database): BetterSqlite3.Statement {
    if (this.#statement?.database !== sqlite) this.#statement = sqlite.prepare(this.#compiled.sql);
    return this.#statement;
  }

  /** The parameters to bind, with `values[i]` in slot `i`. */
  parameters(values: readonly unknown[]): unknown[] {
    if (values.length !== this.#arity) throw new Error(`a prepared query needs ${this.#arity} values`);
    const constants = this.#compiled.parameters;
    return this.#positions.map((i, k) => (i >= 0 ? values[i] : constants[k]));
  }
}
