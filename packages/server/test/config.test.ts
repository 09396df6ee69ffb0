import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, USAGE } from '../src/config.ts';
import { DEFAULT_QUOTAS } from '../src/http/quotas.ts';
import { DEFAULT_CONNECTION_LIMITS } from '../src/websocket/frame-budget.ts';

describe('parseConfig', () => {
  it('defaults to loopback, port 8787 and embedded SQLite', () => {
    expect(parseConfig([], {})).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      dataDir: '.parley/server',
      databaseUrl: null,
      busUrl: null,
      busPrefix: 'parley',
      tlsCert: null,
      tlsKey: null,
      registrationKey: null,
    });
  });

  it('reads flags, and environment variables where no flag is given', () => {
    const c = parseConfig(['--port', '0', '--data', '/tmp/x'], {
      PARLEY_PORT: '9999',
      PARLEY_DATABASE_URL: 'postgres://127.0.0.1/p',
    });
    expect(c).toMatchObject({ port: 0, dataDir: '/tmp/x', databaseUrl: 'postgres://127.0.0.1/p' });
  });

  it('has the documented limits by default, and reads each from a flag or the environment', () => {
    const c = parseConfig([], {});
    if (c === 'help') throw new Error('unexpected');
    expect(c.quotas).toEqual(DEFAULT_QUOTAS);
    expect(c.metricsToken).toBeNull();
    expect(c.maxConnectionsPerSource).toBe(32);
    expect(c.websocketLimits).toEqual(DEFAULT_CONNECTION_LIMITS);
    const set = parseConfig(
      ['--registrations-per-hour', '60', '--trusted-proxy', '10.0.0.1, 10.1.0.0/16', '--metrics-token', 't'],
      {
        PARLEY_MAILBOXES_PER_DAY: '0',
        PARLEY_IPV6_PREFIX: '56',
        PARLEY_CONNECTIONS_PER_SOURCE: '4',
        PARLEY_DEVICE_LINKS_PER_DAY: '20',
        PARLEY_GROUPS_PER_DAY: '100',
      },
    );
    if (set === 'help') throw new Error('unexpected');
    expect(set.quotas.registrationsPerSource).toEqual({ perMinute: 1, burst: 30 });
    expect(set.quotas.mailboxesPerAccount.burst).toBe(Number.POSITIVE_INFINITY);
    expect(set.quotas.deviceLinksPerAccount).toEqual({ perMinute: 20 / 1440, burst: 10 });
    expect(set.quotas.groupsPerAccount).toEqual({ perMinute: 100 / 1440, burst: 40 });
    expect(set.quotas.sources).toEqual({ trustedProxies: ['10.0.0.1', '10.1.0.0/16'], ipv6PrefixBits: 56 });
    expect(set.metricsToken).toBe('t');
    expect(set.maxConnectionsPerSource).toBe(4);
    const paced = parseConfig(['--control-frames-per-second', '5'], {});
    if (paced === 'help') throw new Error('unexpected');
    expect(paced.websocketLimits).toMatchObject({ controlPerSecond: 5, controlBurst: 2100 });
    const off = parseConfig([], { PARLEY_CONTROL_FRAMES_PER_SECOND: '0' });
    if (off === 'help') throw new Error('unexpected');
    expect(off.websocketLimits.controlBurst).toBe(Number.POSITIVE_INFINITY);
  });

  it('lists every limit in --help', () => {
    for (const flag of [
      '--registrations-per-hour',
      '--challenges-per-minute',
      '--requests-per-minute',
      '--mailboxes-per-day',
      '--device-links-per-day',
      '--connections-per-source',
      '--control-frames-per-second',
      '--trusted-proxy',
      '--ipv6-prefix',
      '--metrics-token',
    ])
      expect(USAGE).toContain(flag);
  });

  it('reads the bus of a cluster, which needs PostgreSQL', () => {
    const c = parseConfig(['--database-url', 'postgres://127.0.0.1/p', '--bus', 'nats://127.0.0.1:4222'], {
      PARLEY_BUS_PREFIX: 'site.one',
    });
    expect(c).toMatchObject({ busUrl: 'nats://127.0.0.1:4222', busPrefix: 'site.one' });
    expect(() => parseConfig(['--bus', 'nats://127.0.0.1:4222'], {})).toThrow(/needs --database-url/);
    expect(USAGE).toContain('--bus URL');
  });

  it('answers --help', () => {
    expect(parseConfig(['--help'], {})).toBe('help');
    expect(parseConfig(['-h'], {})).toBe('help');
  });

  it.each([
    [['--port', 'eighty']],
    [['--port', '70000']],
    [['--database-url', 'mysql://x']],
    [['--tls-cert', 'a.pem']],
    [['--unknown']],
    [['positional']],
    [['--trusted-proxy', 'proxy.example']],
    [['--ipv6-prefix', '200']],
    [['--mailboxes-per-day', '-1']],
    [['--device-links-per-day', 'many']],
    [['--database-url', 'postgres://x/p', '--bus', 'redis://x']],
    [['--database-url', 'postgres://x/p', '--bus', 'nats://x', '--bus-prefix', 'a b']],
    [['--database-url', 'postgres://x/p', '--bus', 'nats://x', '--bus-prefix', 'a.*']],
  ])('refuses %j with a ConfigError that says what to do', (argv) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
  });
});
