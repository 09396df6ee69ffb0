/**
 * Schema migrations, written once for both dialects (see `dialect.ts` for the only
 * differences). Migrations are forward-only and append-only: never edit one that has shipped,
 * add the next one. Names sort in the order they run.
 *
 * Every column is NOT NULL explicitly: SQLite, unlike PostgreSQL, lets primary-key columns hold
 * NULL unless told otherwise. Child tables reference their parent with ON DELETE CASCADE so that
 * deleting an account removes every row of it in one statement (SQLite needs
 * `PRAGMA foreign_keys=ON` for this, which `openDatabase` sets).
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { bytesType, type Dialect, serialPrimaryKey } from './dialect.ts';

/** The migrations to run, by name, for a database of the given dialect. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  const bytes = bytesType(dialect);
  const serial = serialPrimaryKey(dialect);
  return {
    '0001-accounts-devices-prekeys': {
      // Migrations see an untyped database: the typed Schema describes only the latest state.
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for migrations.
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('accounts')
          .addColumn('account_id', bytes, (c) => c.notNull().primaryKey())
          .addColumn('identity', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('devices')
          .addColumn('account_id', bytes, (c) => c.notNull())
          .addColumn('device_id', 'bigint', (c) => c.notNull())
          .addColumn('device_key', bytes, (c) => c.notNull())
          .addColumn('certificate', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('devices_pk', ['account_id', 'device_id'])
          .addForeignKeyConstraint('devices_account_fk', ['account_id'], 'accounts', ['account_id'], (fk) =>
            fk.onDelete('cascade'),
          )
          .execute();

        await db.schema
          .createTable('signed_prekeys')
          .addColumn('account_id', bytes, (c) => c.notNull())
          .addColumn('device_id', 'bigint', (c) => c.notNull())
          .addColumn('key_id', 'bigint', (c) => c.notNull())
          .addColumn('public_key', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('signature', bytes, (c) => c.notNull())
          .addPrimaryKeyConstraint('signed_prekeys_pk', ['account_id', 'device_id'])
          .addForeignKeyConstraint(
            'signed_prekeys_device_fk',
            ['account_id', 'device_id'],
            'devices',
            ['account_id', 'device_id'],
            (fk) => fk.onDelete('cascade'),
          )
          .execute();

        // The primary key's order (device, then key id) is also the order keys are handed out in.
        await db.schema
          .createTable('one_time_prekeys')
          .addColumn('account_id', bytes, (c) => c.notNull())
          .addColumn('device_id', 'bigint', (c) => c.notNull())
          .addColumn('key_id', 'bigint', (c) => c.notNull())
          .addColumn('public_key', bytes, (c) => c.notNull())
          .addPrimaryKeyConstraint('one_time_prekeys_pk', ['account_id', 'device_id', 'key_id'])
          .addForeignKeyConstraint(
            'one_time_prekeys_device_fk',
            ['account_id', 'device_id'],
            'devices',
            ['account_id', 'device_id'],
            (fk) => fk.onDelete('cascade'),
          )
          .execute();

        // Key ids are unique per device across one-time and last-resort KEM prekeys, because the
        // device looks its private key up by id alone when an initial message arrives.
        await db.schema
          .createTable('kem_prekeys')
          .addColumn('account_id', bytes, (c) => c.notNull())
          .addColumn('device_id', 'bigint', (c) => c.notNull())
          .addColumn('key_id', 'bigint', (c) => c.notNull())
          .addColumn('public_key', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('signature', bytes, (c) => c.notNull())
          .addColumn('last_resort', 'boolean', (c) => c.notNull())
          .addPrimaryKeyConstraint('kem_prekeys_pk', ['account_id', 'device_id', 'key_id'])
          .addForeignKeyConstraint(
            'kem_prekeys_device_fk',
            ['account_id', 'device_id'],
            'devices',
            ['account_id', 'device_id'],
            (fk) => fk.onDelete('cascade'),
          )
          .execute();

        // At most one last-resort KEM prekey per device: a partial unique index, which both
        // backends support (`true` is a keyword in SQLite ≥ 3.23 too).
        await db.schema
          .createIndex('kem_prekeys_one_last_resort')
          .on('kem_prekeys')
          .columns(['account_id', 'device_id'])
          .unique()
          .where(sql.ref('last_resort'), '=', sql.lit(true))
          .execute();

        // Challenges belong to no account: they are issued before anyone has authenticated.
        await db.schema
          .createTable('auth_challenges')
          .addColumn('challenge', bytes, (c) => c.notNull().primaryKey())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();

        // Purging expired challenges is a range scan on expiry, not a scan of the table.
        await db.schema.createIndex('auth_challenges_expires_at').on('auth_challenges').column('expires_at').execute();

        // Store-and-forward mailboxes belong to no account either, by design: a mailbox is its
        // random id and two public keys, so the database cannot tell whose mailbox it is or which
        // mailboxes belong together. Never add a column or foreign key that links it to an
        // account or device.
        await db.schema
          .createTable('mailboxes')
          .addColumn('mailbox_id', bytes, (c) => c.notNull().primaryKey())
          .addColumn('recipient_key', bytes, (c) => c.notNull())
          .addColumn('sender_key', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        // `seq` is global and only ever increases, so within a mailbox it is the delivery order.
        // The digest (SHA-256 of the envelope) makes a resent envelope a no-op.
        await db.schema
          .createTable('mailbox_messages')
          .addColumn('seq', serial.type, serial.build)
          .addColumn('mailbox_id', bytes, (c) => c.notNull())
          .addColumn('digest', bytes, (c) => c.notNull())
          .addColumn('envelope', bytes, (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('mailbox_messages_digest_unique', ['mailbox_id', 'digest'])
          .addForeignKeyConstraint('mailbox_messages_mailbox_fk', ['mailbox_id'], 'mailboxes', ['mailbox_id'], (fk) =>
            fk.onDelete('cascade'),
          )
          .execute();

        // Fetching is a range scan of one mailbox in seq order; purging a range scan on expiry.
        await db.schema
          .createIndex('mailbox_messages_mailbox_seq')
          .on('mailbox_messages')
          .columns(['mailbox_id', 'seq'])
          .execute();
        await db.schema
          .createIndex('mailbox_messages_expires_at')
          .on('mailbox_messages')
          .column('expires_at')
          .execute();

        // Contact addresses (after Liphium's stored actions) belong to no account either, for the
        // same reason as mailboxes: an address is its random id and its owner's public key, and
        // nothing more. Never add a column or foreign key that links it to an account or device.
        await db.schema
          .createTable('contact_addresses')
          .addColumn('address_id', bytes, (c) => c.notNull().primaryKey())
          .addColumn('owner_key', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        // Contact requests left at an address, in the same shape as mailbox messages: a global,
        // only-increasing seq, and a digest (SHA-256 of the body) that makes a resent body a no-op.
        await db.schema
          .createTable('contact_requests')
          .addColumn('seq', serial.type, serial.build)
          .addColumn('address_id', bytes, (c) => c.notNull())
          .addColumn('digest', bytes, (c) => c.notNull())
          .addColumn('body', bytes, (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('contact_requests_digest_unique', ['address_id', 'digest'])
          .addForeignKeyConstraint(
            'contact_requests_address_fk',
            ['address_id'],
            'contact_addresses',
            ['address_id'],
            (fk) => fk.onDelete('cascade'),
          )
          .execute();

        // Listing is a range scan of one address in seq order; purging a range scan on expiry.
        await db.schema
          .createIndex('contact_requests_address_seq')
          .on('contact_requests')
          .columns(['address_id', 'seq'])
          .execute();
        await db.schema
          .createIndex('contact_requests_expires_at')
          .on('contact_requests')
          .column('expires_at')
          .execute();

        // Tokens the owner has handed to contacts, stored only as SHA-256 hashes, so that the
        // database alone cannot be used to present one.
        await db.schema
          .createTable('contact_tokens')
          .addColumn('address_id', bytes, (c) => c.notNull())
          .addColumn('token_hash', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('contact_tokens_pk', ['address_id', 'token_hash'])
          .addForeignKeyConstraint(
            'contact_tokens_address_fk',
            ['address_id'],
            'contact_addresses',
            ['address_id'],
            (fk) => fk.onDelete('cascade'),
          )
          .execute();
      },
    },
    '0002-mailbox-message-count': {
      // How many messages each mailbox stores (expired ones too, until purged), kept by triggers
      // on every insert and delete whoever makes it, so that an enqueue checks the mailbox's bound
      // without counting its messages: that count read every waiting message, ~1 ms of the writer
      // for a mailbox holding thousands (docs/benchmarks.md). The exact unexpired count is only
      // taken when this one reaches the bound (mailbox-ops.ts, the state query).
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for migrations.
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .alterTable('mailboxes')
          .addColumn('message_count', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
        await sql`update mailboxes set message_count = (select count(*) from mailbox_messages m where m.mailbox_id = mailboxes.mailbox_id)`.execute(
          db,
        );
        if (dialect === 'sqlite') {
          await sql`create trigger mailbox_messages_count_insert after insert on mailbox_messages begin
            update mailboxes set message_count = message_count + 1 where mailbox_id = new.mailbox_id; end`.execute(db);
          await sql`create trigger mailbox_messages_count_delete after delete on mailbox_messages begin
            update mailboxes set message_count = message_count - 1 where mailbox_id = old.mailbox_id; end`.execute(db);
          return;
        }
        await sql`create function mailbox_messages_count() returns trigger language plpgsql as $$
          begin
            if tg_op = 'INSERT' then
              update mailboxes set message_count = message_count + 1 where mailbox_id = new.mailbox_id;
            else
              update mailboxes set message_count = message_count - 1 where mailbox_id = old.mailbox_id;
            end if;
            return null;
          end $$`.execute(db);
        await sql`create trigger mailbox_messages_count after insert or delete on mailbox_messages
          for each row execute function mailbox_messages_count()`.execute(db);
      },
    },
    // The digests of acknowledged messages, until the message would have expired: a copy
    // delivered again is then a duplicate, not a new message (issue 16; mailbox-ops.ts).
    '0003-mailbox-acknowledged': {
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for migrations.
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('mailbox_acked')
          .addColumn('mailbox_id', bytes, (c) => c.notNull())
          .addColumn('digest', bytes, (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('mailbox_acked_pk', ['mailbox_id', 'digest'])
          .addForeignKeyConstraint('mailbox_acked_mailbox_fk', ['mailbox_id'], 'mailboxes', ['mailbox_id'], (fk) =>
            fk.onDelete('cascade'),
          )
          .execute();
        await db.schema.createIndex('mailbox_acked_expires_at').on('mailbox_acked').column('expires_at').execute();
      },
    },
    '0004-prekey-drain': {
      // Bundle fetches under a drain (docs/server.md, "Bundle budgets"). Numbered after 0003 so
      // that a migration landing alongside it keeps its place.
      // - devices.last_resort_served: how many bundles handed out the device's last-resort ML-KEM
      //   key (its one-time keys ran out or were withheld from a requester over budget), so that
      //   the owner can see a drain (GET /v1/devices/self/prekey-counts).
      // - prekey_grants: hashes of the grants a device gave out in its invitation links; a fetch
      //   presenting one gets one-time keys on a budget of its own. Only the hash is kept, and it
      //   names no mailbox (protocol prekey-grant.ts).
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for migrations.
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .alterTable('devices')
          .addColumn('last_resort_served', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable('prekey_grants')
          .addColumn('account_id', bytes, (c) => c.notNull())
          .addColumn('device_id', 'bigint', (c) => c.notNull())
          .addColumn('grant_hash', bytes, (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('prekey_grants_pk', ['account_id', 'device_id', 'grant_hash'])
          .addForeignKeyConstraint(
            'prekey_grants_device_fk',
            ['account_id', 'device_id'],
            'devices',
            ['account_id', 'device_id'],
            (fk) => fk.onDelete('cascade'),
          )
          .execute();
        await db.schema.createIndex('prekey_grants_expires_at').on('prekey_grants').column('expires_at').execute();
      },
    },
    // The latest device list each account published (issue 18; docs/server.md "Devices"): signed
    // by the account's identity, served to anyone, replaced only by a greater version. One row per
    // account, gone with it.
    '0005-device-lists': {
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for migrations.
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('device_lists')
          .addColumn('account_id', bytes, (c) => c.notNull().primaryKey())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addColumn('list', bytes, (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addForeignKeyConstraint('device_lists_account_fk', ['account_id'], 'accounts', ['account_id'], (fk) =>
            fk.onDelete('cascade'),
          )
          .execute();
      },
    },
    // Groups (issue 20; docs/server.md "Groups"): a log per group, addressed by a random id and
    // written with per-epoch write keys — no member, account or device is named anywhere — and
    // MLS key packages per device, like prekeys (one-time ones and one last resort).
    '0006-groups-key-packages': {
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's documented type for migrations.
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('groups')
          .addColumn('group_id', bytes, (c) => c.notNull().primaryKey())
          .addColumn('epoch', 'bigint', (c) => c.notNull())
          .addColumn('last_seq', 'bigint', (c) => c.notNull())
          .addColumn('trimmed_seq', 'bigint', (c) => c.notNull())
          .addColumn('entry_count', 'bigint', (c) => c.notNull())
          .addColumn('byte_count', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('active_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('groups_active_at').on('groups').column('active_at').execute();
        await db.schema
          .createTable('group_epochs')
          .addColumn('group_id', bytes, (c) => c.notNull())
          .addColumn('epoch', 'bigint', (c) => c.notNull())
          .addColumn('write_key', bytes, (c) => c.notNull())
          .addColumn('first_seq', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('group_epochs_pk', ['group_id', 'epoch'])
          .addForeignKeyConstraint('group_epochs_group_fk', ['group_id'], 'groups', ['group_id'], (fk) =>
            fk.onDelete('cascade'),
          )
          .execute();
        await db.schema
          .createTable('group_entries')
          .addColumn('group_id', bytes, (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('epoch', 'bigint', (c) => c.notNull())
          .addColumn('commit', 'boolean', (c) => c.notNull())
          .addColumn('message', bytes, (c) => c.notNull())
          .addColumn('next_write_key', bytes, (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('group_entries_pk', ['group_id', 'seq'])
          .addForeignKeyConstraint('group_entries_group_fk', ['group_id'], 'groups', ['group_id'], (fk) =>
            fk.onDelete('cascade'),
          )
          .execute();
        await db.schema.createIndex('group_entries_received_at').on('group_entries').column('received_at').execute();
        await db.schema
          .createTable('key_packages')
          .addColumn('account_id', bytes, (c) => c.notNull())
          .addColumn('device_id', 'bigint', (c) => c.notNull())
          .addColumn('digest', bytes, (c) => c.notNull())
          .addColumn('key_package', bytes, (c) => c.notNull())
          .addColumn('last_resort', 'boolean', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('key_packages_pk', ['account_id', 'device_id', 'digest'])
          .addForeignKeyConstraint(
            'key_packages_device_fk',
            ['account_id', 'device_id'],
            'devices',
            ['account_id', 'device_id'],
            (fk) => fk.onDelete('cascade'),
          )
          .execute();
        await db.schema
          .alterTable('devices')
          .addColumn('key_package_last_resort_served', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
      },
    },
  };
}
