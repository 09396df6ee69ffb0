import { defineConfig } from 'vitest/config';

// The protocol suite runs twice: once on the platform default (node:crypto) and once with the
// `parley-noble` export condition, which makes `#default-crypto` resolve to the @noble backend.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['packages/*/test/**/*.test.ts'], env: { PARLEY_EXPECT_BACKEND: 'node' } },
      },
      {
        // The server's API and WebSocket suites again, on PostgreSQL (api-kit.ts).
        extends: true,
        test: {
          name: 'server-postgres',
          include: ['packages/server/test/*-api.test.ts', 'packages/server/test/websocket.test.ts'],
          env: { PARLEY_TEST_BACKEND: 'postgres' },
        },
      },
      {
        extends: true,
        resolve: { conditions: ['parley-noble'] },
        ssr: { resolve: { conditions: ['parley-noble'] } },
        test: {
          name: 'noble',
          include: [
            'packages/protocol/test/**/*.test.ts',
            // The group engine on its default primitives, which this condition makes @noble's.
            'packages/groups/test/engine.test.ts',
            'packages/groups/test/refused-commit.test.ts',
          ],
          env: { PARLEY_EXPECT_BACKEND: 'noble' },
        },
      },
    ],
  },
});
