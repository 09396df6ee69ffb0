/**
 * `parley group …`: create a group, add and remove people, leave, list its members
 * (docs/client.md §4.12). `parley groups` lists them; send, receive and history take a group
 * name like a contact's.
 */
import type { GroupMemberView } from '@parley/client';
import { defineCommand } from '../command.ts';
import { usageError } from '../errors.ts';
import { cleanLine, table } from '../format.ts';

const USAGE = [
  'group create NAME [--description TEXT]',
  'group add GROUP CONTACT...',
  'group remove GROUP CONTACT',
  'group leave GROUP',
  'group members GROUP',
  'group admin GROUP CONTACT',
];

const trustWord = (m: GroupMemberView): string =>
  m.trust === 'self' ? (m.current ? 'you (this device)' : 'you') : m.trust === 'stranger' ? 'not a contact' : m.trust;

export default defineCommand({
  name: 'group',
  summary: 'create a group chat, add or remove people, leave, list its members',
  usage: USAGE,
  description: `Groups are end-to-end encrypted with MLS (RFC 9420): the server keeps a log of encrypted
messages under a random id and never learns the members, the name or the description. Every device
is a member: adding a contact adds each of their devices (and yours come along). Only members can
read what is posted while they are in: someone removed reads nothing newer and cannot post.
Only admins add and remove (the creator, and whoever an admin makes one with \`group admin\`);
every member's client refuses a change made by anyone else. Leaving asks the admins to remove
your devices; this device stops at once.
Send with \`parley send GROUP TEXT\`, read with \`parley receive\` and \`parley history GROUP\`.`,
  options: { description: { type: 'string', placeholder: 'TEXT', help: 'group create: a description' } },
  examples: [
    'parley group create Hikers',
    'parley group add Hikers Bob Carol',
    'parley group remove Hikers Carol',
    'parley group members Hikers',
    'parley group leave Hikers',
  ],
  async run(ctx, args) {
    const [sub, group, ...rest] = args.positionals;
    if (sub === undefined) throw usageError('missing what to do (create, add, remove, leave, members, admin)', 'group');
    if (group === undefined) throw usageError(sub === 'create' ? 'missing NAME' : 'missing GROUP', 'group');
    const client = await ctx.open({ readOnly: sub === 'members' });
    switch (sub) {
      case 'create': {
        if (rest.length > 0) throw usageError('a group name is one argument: quote it', 'group');
        const description = args.string('description');
        const g = await client.createGroup({ name: group, ...(description === undefined ? {} : { description }) });
        ctx.result({ group: g }, () =>
          ctx.print(`Created ${cleanLine(g.name)}. Add people: ${ctx.cmd('group', 'add', g.name, 'CONTACT')}`),
        );
        return 0;
      }
      case 'add': {
        if (rest.length === 0) throw usageError('missing CONTACT', 'group');
        const g = await client.addToGroup(group, rest);
        ctx.result({ group: g }, () => ctx.print(`${cleanLine(g.name)} has ${g.members} member devices now.`));
        return 0;
      }
      case 'remove': {
        const [who, ...more] = rest;
        if (who === undefined || more.length > 0) throw usageError('group remove takes one CONTACT', 'group');
        const g = await client.removeFromGroup(group, who);
        ctx.result({ group: g }, () =>
          ctx.print(`Removed from ${cleanLine(g.name)}: ${g.members} member devices left.`),
        );
        return 0;
      }
      case 'leave': {
        if (rest.length > 0) throw usageError('group leave takes one GROUP', 'group');
        await client.leaveGroup(group);
        ctx.result({ left: true }, () => ctx.print('You left the group.'));
        return 0;
      }
      case 'admin': {
        const [who, ...more] = rest;
        if (who === undefined || more.length > 0) throw usageError('group admin takes one CONTACT', 'group');
        const g = await client.addGroupAdmin(group, who);
        ctx.result({ group: g }, () => ctx.print(`${cleanLine(who)} is now an admin of ${cleanLine(g.name)}.`));
        return 0;
      }
      case 'members': {
        if (rest.length > 0) throw usageError('group members takes one GROUP', 'group');
        const members = await client.groupMembers(group);
        ctx.result({ members }, () =>
          ctx.print(
            table(
              ['NAME', 'DEVICE', 'WHO'],
              members.map((m) => [
                m.trust === 'self' ? 'You' : cleanLine(m.name ?? m.accountId.slice(0, 12)),
                String(m.device),
                trustWord(m),
              ]),
            ),
          ),
        );
        return 0;
      }
      default:
        throw usageError(`group takes: create, add, remove, leave, members, admin (not ${cleanLine(sub)})`, 'group');
    }
  },
});
