/** What the v1 API needs: the protocol environment, the stores and the server's settings. */
import type { ProtocolEnv } from '@parley/protocol';
import type { GroupEvents } from './groups/group-events.ts';
import type { Quotas } from './http/quotas.ts';
import type { MailboxEvents } from './mailboxes/mailbox-events.ts';
import type { Metrics } from './metrics.ts';
import type {
  AccountStore,
  ChallengeStore,
  ContactAddressStore,
  DeviceListStore,
  DeviceStore,
  GroupStore,
  KeyPackageStore,
  MailboxStore,
  PreKeyStore,
} from './storage/index.ts';
import type { SignatureVerifier } from './verifier/delivery-verifier.ts';

export interface ApiDeps {
  readonly env: ProtocolEnv;
  readonly accounts: AccountStore;
  readonly devices: DeviceStore;
  /** The latest signed device list of each account (issue 18). */
  readonly deviceLists: DeviceListStore;
  readonly prekeys: PreKeyStore;
  readonly challenges: ChallengeStore;
  readonly mailboxes: MailboxStore;
  readonly addresses: ContactAddressStore;
  /** Tells WebSocket subscribers that a mailbox received a message. */
  readonly events: MailboxEvents;
  /** Group logs (issue 20; docs/server.md "Groups"). */
  readonly groups: GroupStore;
  /** MLS key packages per device. */
  readonly keyPackages: KeyPackageStore;
  /** Tells WebSocket subscribers that a group's log stored an entry. */
  readonly groupEvents: GroupEvents;
  /** Checks delivery signatures; without one they are checked on the calling thread with `env`. */
  readonly verifier?: SignatureVerifier;
  /** When set, registration requires this key (a private server). */
  readonly registrationKey: string | null;
  /** Where deliveries, pushes and WebSocket connections are counted (none: not counted). */
  readonly metrics?: Metrics;
  /** Quotas and rate limits per source and per account (http/quotas.ts; none: unlimited). */
  readonly quotas?: Quotas;
}
