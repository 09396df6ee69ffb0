/**
 * The logical schema the migrations must produce, on SQLite and on PostgreSQL alike: every table,
 * every column, its type family and NOT NULL. The conformance suite compares each backend's
 * catalogue against this, so both backends agree with each other and with this reviewed file.
 * A migration that changes the schema must change this file too.
 */
import { sql } from 'kysely';
import type { Database } from '../src/storage/database.ts';

type ColumnSpec = 'bytes' | 'integer' | 'boolean';

export const EXPECTED_SCHEMA: Record<string, Record<string, ColumnSpec>> = {
  accounts: { account_id: 'bytes', created_at: 'integer', identity: 'bytes' },
  auth_challenges: { challenge: 'bytes', expires_at: 'integer' },
  // A contact address is its id and its owner's public key: nothing that links it to an account.
  contact_addresses: { address_id: 'bytes', created_at: 'integer', owner_key: 'bytes' },
  contact_requests: {
    address_id: 'bytes',
    body: 'bytes',
    digest: 'bytes',
    expires_at: 'integer',
    received_at: 'integer',
    seq: 'integer',
  },
  contact_tokens: { address_id: 'bytes', created_at: 'integer', token_hash: 'bytes' },
  // The latest signed device list of each account (migration 0005).
  device_lists: { account_id: 'bytes', list: 'bytes', updated_at: 'integer', version: 'integer' },
  devices: {
    account_id: 'bytes',
    certificate: 'bytes',
    created_at: 'integer',
    device_id: 'integer',
    device_key: 'bytes',
    key_package_last_resort_served: 'integer',
    last_resort_served: 'integer',
    last_seen_at: 'integer',
  },
  // A group log is its id, epoch and counters: no member, account or device (migration 0006).
  groups: {
    active_at: 'integer',
    byte_count: 'integer',
    created_at: 'integer',
    entry_count: 'integer',
    epoch: 'integer',
    group_id: 'bytes',
    last_seq: 'integer',
    trimmed_seq: 'integer',
  },
  group_entries: {
    commit: 'boolean',
    epoch: 'integer',
    group_id: 'bytes',
    message: 'bytes',
    next_write_key: 'bytes',
    received_at: 'integer',
    seq: 'integer',
    size: 'integer',
  },
  group_epochs: { epoch: 'integer', first_seq: 'integer', group_id: 'bytes', write_key: 'bytes' },
  key_packages: {
    account_id: 'bytes',
    created_at: 'integer',
    device_id: 'integer',
    digest: 'bytes',
    key_package: 'bytes',
    last_resort: 'boolean',
  },
  kem_prekeys: {
    account_id: 'bytes',
    created_at: 'integer',
    device_id: 'integer',
    key_id: 'integer',
    last_resort: 'boolean',
    public_key: 'bytes',
    signature: 'bytes',
  },
  // A mailbox is its id and two public keys: nothing that links it to an account or device.
  mailboxes: {
    created_at: 'integer',
    mailbox_id: 'bytes',
    message_count: 'integer',
    recipient_key: 'bytes',
    sender_key: 'bytes',
  },
  mailbox_acked: {
    digest: 'bytes',
    expires_at: 'integer',
    mailbox_id: 'bytes',
    received_at: 'integer',
    seq: 'integer',
  },
  mailbox_messages: {
    digest: 'bytes',
    envelope: 'bytes',
    expires_at: 'integer',
    mailbox_id: 'bytes',
    received_at: 'integer',
    seq: 'integer',
  },
  one_time_prekeys: { account_id: 'bytes', device_id: 'integer', key_id: 'integer', public_key: 'bytes' },
  prekey_grants: { account_id: 'bytes', device_id: 'integer', expires_at: 'integer', grant_hash: 'bytes' },
  signed_prekeys: {
    account_id: 'bytes',
    created_at: 'integer',
    device_id: 'integer',
    key_id: 'integer',
    public_key: 'bytes',
    signature: 'bytes',
  },
};

/** SQLite reports the declared type, PostgreSQL the type's internal name. */
const TYPE_FAMILIES: Record<string, ColumnSpec> = {
  blob: 'bytes',
  bytea: 'bytes',
  bigint: 'integer',
  integer: 'integer',
  int8: 'integer',
  boolean: 'boolean',
  bool: 'boolean',
};

/**
 * The database's tables and columns (from `sqlite_master`/`pragma table_info` or
 * `pg_catalog`, through Kysely's introspector), in the form of {@link EXPECTED_SCHEMA}. A
 * nullable column or an unknown type shows up as itself, so it cannot match.
 */
export async function logicalSchema(database: Database): Promise<Record<string, Record<string, string>>> {
  const tables = await database.db.introspection.getTables();
  const out: Record<string, Record<string, string>> = {};
  for (const table of tables) {
    if (table.isView || (table.schema !== undefined && table.schema !== 'public')) continue;
    const columns: Record<string, string> = {};
    for (const c of [...table.columns].sort((a, b) => a.name.localeCompare(b.name))) {
      const family = TYPE_FAMILIES[c.dataType.toLowerCase()] ?? c.dataType;
      columns[c.name] = c.isNullable ? `${family} null` : family;
    }
    out[table.name] = columns;
  }
  return out;
}

/**
 * The tables that `table`'s foreign keys refer to, sorted (from `pragma foreign_key_list` or
 * `pg_constraint`).
 */
export async function referencedTables(database: Database, table: string): Promise<string[]> {
  const query =
    database.dialect === 'sqlite'
      ? sql<{ target: string }>`select "table" as target from pragma_foreign_key_list(${table})`
      : sql<{ target: string }>`select confrelid::regclass::text as target from pg_catalog.pg_constraint
          where contype = 'f' and conrelid = ${table}::regclass`;
  const { rows } = await query.execute(database.db);
  return rows.map((r) => r.target).sort();
}
