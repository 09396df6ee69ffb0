import { expect, it } from 'vitest';
import { defaultEnv } from '../src/index.ts';

// Proves the export condition picked the backend this test project is meant to exercise.
it('the default backend is the one this project selects', () => {
  expect(defaultEnv.crypto.name).toBe(process.env.PARLEY_EXPECT_BACKEND);
});
