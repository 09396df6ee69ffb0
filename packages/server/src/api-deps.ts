/** What the v1 API needs: the protocol environment, the stores and the server's settings. */
import type { ProtocolEnv } from '@parley/protocol';
import type { AccountStore, ChallengeStore, DeviceStore, MailboxStore, PreKeyStore } from './storage/index.ts';

export interface ApiDeps {
  readonly env: ProtocolEnv;
  readonly accounts: AccountStore;
  readonly devices: DeviceStore;
  readonly prekeys: PreKeyStore;
  readonly challenges: ChallengeStore;
  readonly mailboxes: MailboxStore;
  /** When set, registration requires this key (a private server). */
  readonly registrationKey: string | null;
}
