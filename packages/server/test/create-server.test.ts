/**
 * createServer, the one wiring of the binary and the tests: the app answers without a socket,
 * the same server listens and closes, /health asks the real database, and the stores are the
 * binary's (challenges in memory on SQLite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, serverApi } from '../src/create-server.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { MemoryChallengeStore, openDatabase, SqlChallengeStore } from '../src/storage/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-create-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createServer', () => {
  it('serves the app without a socket and over one, then closes; /health asks the database', async () => {
    const database = await openDatabase({ sqlitePath: join(dir, 'a.sqlite') });
    const metrics = createMetrics();
    const api = serverApi(database, { metrics });
    expect(api.challenges).toBeInstanceOf(MemoryChallengeStore);
    const server = createServer({
      version: 'v-test',
      metrics,
      log: createLogger({ level: 'silent' }),
      database,
      api,
      purgeEveryMs: 60_000,
    });
    expect((await server.app.request('/health')).status).toBe(200);
    expect((await server.app.request('/v1/challenges', { method: 'POST' })).status).toBe(201);

    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await res.json()).toEqual({ status: 'ok', version: 'v-test' });
    await server.close();
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();

    await database.close();
    expect((await server.app.request('/health')).status).toBe(503);
  });

  it('keeps challenges in the database when asked, and rejects listening on a taken port', async () => {
    const database = await openDatabase({ sqlitePath: join(dir, 'b.sqlite') });
    const metrics = createMetrics();
    const api = serverApi(database, { metrics, challengesInMemory: false, registrationKey: 'k' });
    expect(api.challenges).toBeInstanceOf(SqlChallengeStore);
    expect(api.registrationKey).toBe('k');
    const deps = { version: 't', metrics, log: createLogger({ level: 'silent' }), database, api };
    const first = createServer(deps);
    const { port } = await first.listen({ port: 0, host: '127.0.0.1' });
    const second = createServer(deps);
    await expect(second.listen({ port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await second.close();
    await first.close();
    await database.close();
  });
});
