import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cachingStatements } from '../src/storage/statement-cache.ts';

describe('the SQLite statement cache', () => {
  let sqlite: BetterSqlite3.Database | undefined;
  afterEach(() => {
    if (sqlite?.open) sqlite.close();
  });

  it('hands out the same compiled statement for the same SQL, and results stay correct', () => {
    sqlite = new BetterSqlite3(':memory:');
    const db = cachingStatements(sqlite);
    db.prepare('create table t (x integer)').run([]);
    const insert = db.prepare('insert into t values (?)');
    expect(db.prepare('insert into t values (?)')).toBe(insert);
    for (const x of [1, 2, 3]) db.prepare('insert into t values (?)').run([x]);
    expect(db.prepare('select sum(x) as s from t').all([])).toEqual([{ s: 6 }]);
    expect(db.prepare('select sum(x) as s from t where x > ?').all([1])).toEqual([{ s: 5 }]);
  });

  it('keeps at most max statements, dropping the least recently used', () => {
    sqlite = new BetterSqlite3(':memory:');
    const db = cachingStatements(sqlite, 2);
    const one = db.prepare('select 1');
    const two = db.prepare('select 2');
    expect(db.prepare('select 1')).toBe(one); // now "select 2" is the oldest
    db.prepare('select 3');
    expect(db.prepare('select 1')).toBe(one);
    expect(db.prepare('select 2')).not.toBe(two);
  });

  it('closes the database', () => {
    sqlite = new BetterSqlite3(':memory:');
    cachingStatements(sqlite).close();
    expect(sqlite.open).toBe(false);
  });
});
