import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { cleanLine, qr, safetyRows } from '../format.ts';
import { identityChangedBox } from '../notices.ts';

export default defineCommand({
  name: 'verify',
  summary: "show a contact's safety number; mark it verified; accept a changed key",
  usage: ['verify CONTACT [--confirm] [--accept-change] [--no-qr]'],
  description: `Shows the safety number you share with CONTACT (60 digits, the same on both devices) and its QR
code. Compare it with your contact in person or on a call (or scan each other's codes): if it
matches, nobody is in the middle, and you mark the contact verified with --confirm.
If a contact's identity key changed (a reinstall, a lost device, or an attack), the number changes
and you are warned. Sending to a verified contact is then blocked until you either compare the new
number and --confirm it, or --accept-change (accept the new key without comparing: the contact
becomes unverified).`,
  options: {
    confirm: { type: 'boolean', help: 'you compared the number and it matches: mark the contact verified' },
    'accept-change': { type: 'boolean', help: "accept the contact's changed identity key (unverified)" },
    'no-qr': { type: 'boolean', help: 'do not print the QR code' },
  },
  examples: ['parley verify Bob', 'parley verify Bob --confirm', 'parley verify Bob --accept-change'],
  async run(ctx, args) {
    const [who] = expectPositionals(args, ['CONTACT'], 'verify') as [string];
    const confirm = args.flag('confirm');
    const accept = args.flag('accept-change');
    const client = await ctx.open({ readOnly: !confirm && !accept });
    let contact = await client.contact(who);
    const wasChanged = contact.identityChanged;
    if (confirm) contact = await client.verify(contact.id);
    else if (accept && wasChanged) contact = await client.acceptIdentityChange(contact.id);
    const safetyNumber = await client.safetyNumber(contact.id);
    const code = ctx.json || args.flag('no-qr') ? '' : await qr(safetyNumber.qrPayload);
    ctx.result({ contact, safetyNumber }, () => {
      const name = cleanLine(contact.name);
      ctx.print(`Safety number with ${name}:`);
      ctx.print('');
      for (const row of safetyRows(safetyNumber.display)) ctx.print(`    ${row}`);
      if (code !== '') ctx.print(`\n${code}`);
      ctx.print('');
      if (confirm) ctx.print(`✓ ${name} is now verified.`);
      else if (accept && wasChanged) {
        ctx.print(
          `Accepted ${name}'s new key; you can send again. ${name} is unverified: compare the number when you can.`,
        );
      } else if (accept) ctx.print(`${name}'s key had not changed; nothing to accept.`);
      if (contact.identityChanged) ctx.note(identityChangedBox(contact, (...w) => ctx.cmd(...w)));
      else if (contact.verification === 'verified') {
        if (!confirm) ctx.print(`✓ Verified: you compared this number with ${name}.`);
      } else if (!accept) {
        ctx.print(`Not verified yet. Compare the number with ${name} in person or on a call; if it matches, run`);
        ctx.print(`  ${ctx.cmd('verify', contact.name, '--confirm')}`);
      }
    });
    return 0;
  },
});
