import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.ts';

describe('parseConfig', () => {
  it('defaults to loopback, port 8787 and embedded SQLite', () => {
    expect(parseConfig([], {})).toEqual({
      host: '127.0.0.1',
      port: 8787,
      dataDir: '.parley/server',
      databaseUrl: null,
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
  ])('refuses %j with a ConfigError that says what to do', (argv) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
  });
});
