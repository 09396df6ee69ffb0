/** Request bodies at the HTTP edge: JSON parsed with a zod schema into typed values, or `bad-request`. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from './http-error.ts';

/** Reads the JSON body and validates it; `bad-request` naming the first bad field otherwise. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpError('bad-request', 'body must be JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw new HttpError('bad-request', `invalid ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
