/** Reads gathered into one statement per kind (src/store/postgres/gathered.ts), apart from any database. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gatheredReads } from '../../src/store/postgres/gathered.ts';

/** A table of rows by group and key, read the two ways, with each call recorded. */
function table() {
  const rows: Record<string, Record<string, string[]>> = { a: { x: ['x1', 'x2'], y: ['y1'] }, b: { x: ['bx'] } };
  const calls: string[] = [];
  const reads = gatheredReads<string, string>({
    groupOf: (group) => group,
    one: async (group, key) => {
      calls.push(`one ${group} ${key}`);
      if (key === 'broken') throw new Error('broken read');
      return [...(rows[group]?.[key] ?? [])];
    },
    many: async (group, keys) => {
      calls.push(`many ${group} ${keys.join(',')}`);
      if (keys.includes('broken')) throw new Error('broken read');
      // a key without rows may be missing from the map
      return new Map(keys.filter((k) => rows[group]?.[k] !== undefined).map((k) => [k, [...rows[group]![k]!]]));
    },
  });
  return { reads, calls };
}

describe('gatheredReads', () => {
  test('reads asked for in one pass share one call per group; each caller gets its own array', async () => {
    const { reads, calls } = table();
    const asked = [reads.read('a', 'x'), reads.read('a', 'y'), reads.read('a', 'z'), reads.read('b', 'x'), reads.read('a', 'x')];
    const got = await Promise.all(asked);
    assert.deepEqual(got, [['x1', 'x2'], ['y1'], [], ['bx'], ['x1', 'x2']]);
    assert.notEqual(got[0], got[4], 'the same key asked twice: an array each');
    assert.deepEqual(calls, ['many a x,y,z', 'one b x']);
  });

  test('reads asked for in different passes do not wait for each other', async () => {
    const { reads, calls } = table();
    assert.deepEqual(await reads.read('a', 'x'), ['x1', 'x2']);
    assert.deepEqual(await reads.read('a', 'y'), ['y1']);
    assert.deepEqual(calls, ['one a x', 'one a y']);
  });

  test('asked from within microtasks, the reads of one pass are still gathered', async () => {
    const { reads, calls } = table();
    const later = (n: number, key: string) => {
      let p: Promise<void> = Promise.resolve();
      for (let i = 0; i < n; i++) p = p.then(() => undefined);
      return p.then(() => reads.read('a', key));
    };
    assert.deepEqual(await Promise.all([later(1, 'x'), later(4, 'y'), later(9, 'z')]), [['x1', 'x2'], ['y1'], []]);
    assert.deepEqual(calls, ['many a x,y,z']);
  });

  test('a failed read fails the callers that shared it, and the next pass reads again', async () => {
    const { reads, calls } = table();
    const shared = await Promise.allSettled([reads.read('a', 'x'), reads.read('a', 'broken'), reads.read('b', 'x')]);
    assert.deepEqual(
      shared.map((r) => r.status),
      ['rejected', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(await reads.read('a', 'x'), ['x1', 'x2']);
    assert.deepEqual(calls, ['many a x,broken', 'one b x', 'one a x']);
  });
});
