/**
 * System notifications for new messages while the tab is hidden, once the person allowed them
 * (Settings). They say who wrote, never what: a notification outlives the page on the lock screen
 * and in the system's notification history, outside the encrypted store.
 */
export function notificationsSupported(): boolean {
  return typeof Notification !== 'undefined';
}

export function notificationsAllowed(): boolean {
  return notificationsSupported() && Notification.permission === 'granted';
}

export async function askNotifications(): Promise<NotificationPermission> {
  if (!notificationsSupported()) return 'denied';
  return Notification.requestPermission();
}

export function notifyMessage(from: string, onClick: () => void): void {
  if (!notificationsAllowed() || document.visibilityState === 'visible') return;
  const n = new Notification('Parley', { body: `New message from ${from}`, tag: `parley-${from}` });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
}
