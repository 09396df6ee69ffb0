/** Every `parley` command, in the order `parley --help` lists them. */
import type { Command } from '../command.ts';
import address from './address.ts';
import chat from './chat.ts';
import connect from './connect.ts';
import contacts from './contacts.ts';
import deleteAccount from './delete-account.ts';
import devices from './devices.ts';
import group from './group.ts';
import groups from './groups.ts';
import history from './history.ts';
import identity from './identity.ts';
import init from './init.ts';
import invite from './invite.ts';
import join from './join.ts';
import profiles from './profiles.ts';
import receive from './receive.ts';
import rename from './rename.ts';
import request from './request.ts';
import requests from './requests.ts';
import send from './send.ts';
import settings from './settings.ts';
import verify from './verify.ts';

export const COMMAND_GROUPS: ReadonlyArray<readonly [string, readonly Command[]]> = [
  ['Set up', [init, profiles, join, devices, settings]],
  ['Meet people', [invite, connect, address, request, requests, contacts, rename]],
  ['Talk', [send, receive, history, chat]],
  ['Groups', [group, groups]],
  ['Trust and safety', [verify, identity, deleteAccount]],
];

export const COMMANDS: ReadonlyMap<string, Command> = new Map(
  COMMAND_GROUPS.flatMap(([, list]) => list.map((c) => [c.name, c] as const)),
);
