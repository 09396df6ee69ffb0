/** What a caller of `linkDevice` chooses and gets back (docs/client.md §4.10). */

/** No acknowledgement for this long: the unacknowledged chunks are sent again. */
export const RESEND_AFTER_MS = 15_000;

export interface LinkDeviceOptions {
  /** How often to look for the new device's answers (ms, default 500). */
  readonly pollMs?: number;
  /** Resend unacknowledged chunks after this long without an ack (ms, default 15 s). */
  readonly resendAfterMs?: number;
  /** Items (contacts and messages) acknowledged by the new device so far, of `total`. */
  readonly onProgress?: (p: { readonly sent: number; readonly total: number }) => void;
}

export interface LinkResult {
  readonly deviceId: number;
  readonly deviceName: string;
  /** Contacts and messages the new device stored. */
  readonly items: number;
}
