/**
 * What a person does in the app, in the words of the DOM conventions (design §3): labelled fields,
 * buttons by their text, the Conversations nav, the Messages log. Shared by the journey tests.
 */
import type { Page } from 'playwright-core';

export const PASSPHRASE = 'correct horse battery staple';
/** Creating and unlocking derive the key with scrypt: seconds on a busy machine. */
export const SLOW = { timeout: 60_000 };

/** Fills the create-profile form; `lands` is the heading of the screen that follows (the chats, unless a link waits). */
export async function createProfile(page: Page, profile: string, name: string, lands = 'Chats'): Promise<void> {
  await page.getByLabel('Profile name').fill(profile);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create profile' }).click();
  await page.getByRole('heading', { name: lands }).waitFor(SLOW);
}

export async function unlock(page: Page, passphrase = PASSPHRASE): Promise<void> {
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/** Creates an invitation; returns its parley://invite/… link. */
export async function invite(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Add contact' }).first().click();
  await page.getByRole('button', { name: 'Invite someone' }).click();
  await page.getByRole('button', { name: 'Create invitation' }).click();
  const field = page.getByLabel('Invitation link', { exact: true });
  await field.waitFor();
  return field.inputValue();
}

/** Uses an invitation or address link (optionally with an introduction for an address). */
export async function useLink(page: Page, link: string, intro?: string): Promise<void> {
  await page.getByRole('button', { name: 'Add contact' }).first().click();
  await page.getByRole('button', { name: 'Use a link' }).click();
  await page.getByLabel('Invitation link').fill(link);
  if (intro !== undefined) {
    await page.getByLabel('Introduction').fill(intro);
    await page.getByRole('button', { name: 'Send contact request' }).click();
  } else await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('log', { name: 'Messages' }).waitFor(SLOW);
}

export function conversations(page: Page) {
  return page.getByRole('navigation', { name: 'Conversations' });
}

export async function openChat(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Chats', exact: true }).click();
  await conversations(page)
    .getByRole('button', { name: new RegExp(`^${name}`) })
    .click(SLOW);
  await page.getByRole('log', { name: 'Messages' }).waitFor();
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

export function messages(page: Page) {
  return page.getByRole('log', { name: 'Messages' }).locator('li');
}

/** `a` invites `b` (names as they gave them); returns once each has the other open in a conversation it can write to. */
export async function meet(a: Page, aName: string, b: Page, bName: string): Promise<void> {
  const link = await invite(a);
  await useLink(b, link);
  await a.getByRole('button', { name: 'Done' }).click();
  await openChat(a, bName);
  await b.getByRole('heading', { name: aName }).waitFor(SLOW);
  await b.getByRole('textbox', { name: 'Message' }).and(b.locator(':enabled')).waitFor(SLOW);
}
