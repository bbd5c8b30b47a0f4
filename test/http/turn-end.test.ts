/**
 * Answers written at the end of the event loop's turn (src/http/turn-end.ts): the turn's one
 * promise, and lookups answered together over real sockets, each with its own answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { afterTurn, turnEnd } from '../../src/http/turn-end.ts';
import { createMemoryLookupCache } from '../../src/cache/memory.ts';
import { makeHarness, type Harness } from './harness.ts';

describe('turnEnd', () => {
  test('one promise for the turn, settled after the callbacks already queued, a new one in the next turn', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('queued before'));
    const first = turnEnd();
    assert.equal(turnEnd(), first, 'the same promise within a turn');
    let settled = false;
    void first.then(() => {
      settled = true;
    });
    // not within the microtasks of this turn
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.equal(settled, false);
    await first;
    order.push('turn ended');
    assert.deepEqual(order, ['queued before', 'turn ended']);
    const next = turnEnd();
    assert.notEqual(next, first, 'a new turn, a new promise');
    await next;
  });
});

describe('lookups answered together at the end of the turn', () => {
  let h: Harness;
  let base: string;
  const known = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
  const unknown = Array.from({ length: 20 }, (_, i) => `203.0.113.${i + 1}`);

  before(async () => {
    // with a cache, so that repeated lookups take the path that needs no I/O
    h = await makeHarness({ env: { VERDICT_DATA_VERSION_WINDOW_MS: '60000' }, overrides: { cache: createMemoryLookupCache({ ttlSeconds: 3600 }) } });
    await h.ingest('cisa-alerts', known.map((value) => ({ type: 'ipv4' as const, value, threatType: 'botnet_cc' as const })));
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
  });
  after(() => h.close());

  test('many connections at once: each request gets its own answer, computed or held, valid or not', async () => {
    const values = [...known, ...unknown, 'not an indicator', ...known.slice(0, 5)];
    for (const round of ['computed', 'held']) {
      const answers = await Promise.all(
        values.map(async (value) => {
          const res = await fetch(`${base}/api/v1/lookup?value=${encodeURIComponent(value)}`, { headers: h.auth() });
          return { value, status: res.status, body: (await res.json()) as { value?: string; found?: boolean; error?: { code: string } } };
        }),
      );
      for (const a of answers) {
        if (a.value === 'not an indicator') {
          assert.equal(a.status, 400, round);
          assert.equal(a.body.error?.code, 'invalid_indicator');
          continue;
        }
        assert.equal(a.status, 200, `${round} ${a.value}`);
        assert.equal(a.body.value, a.value, `${round}: the answer to ${a.value} is its own`);
        assert.equal(a.body.found, known.includes(a.value), `${round} ${a.value}`);
      }
    }
  });
});

describe('afterTurn', () => {
  test('runs after the turn, in order; work without I/O settles together, after the last of its batch', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('queued before'));
    const results = [1, 2, 3].map((n) =>
      afterTurn(async () => {
        order.push(`run ${n}`);
        // a few awaits, as a lookup on SQLite takes: still no I/O
        for (let i = 0; i < n * 3; i++) await Promise.resolve();
        order.push(`done ${n}`);
        return n * 10;
      }).then((value) => {
        order.push(`settled ${n}`);
        return value;
      }),
    );
    for (let i = 0; i < 5; i++) await Promise.resolve();
    assert.deepEqual(order, [], 'nothing runs within the microtasks of the turn that queued it');
    assert.deepEqual(await Promise.all(results), [10, 20, 30]);
    assert.deepEqual(order, ['queued before', 'run 1', 'run 2', 'run 3', 'done 1', 'done 2', 'done 3', 'settled 1', 'settled 2', 'settled 3']);
  });

  test('work that waits for I/O holds none of its batch up, and a failure is its own', async () => {
    const settled: string[] = [];
    const slow = afterTurn(() => new Promise<string>((resolve) => setTimeout(() => resolve('slow'), 30))).then((v) => void settled.push(v));
    const quick = afterTurn(() => 'quick').then((v) => void settled.push(v));
    const thrown = afterTurn(() => {
      throw new Error('thrown');
    }).catch((err: Error) => void settled.push(err.message));
    const rejected = afterTurn(() => Promise.reject(new Error('rejected'))).catch((err: Error) => void settled.push(err.message));
    await Promise.all([quick, thrown, rejected]);
    assert.deepEqual(settled, ['quick', 'thrown', 'rejected'], 'settled before the slow one');
    await slow;
    assert.deepEqual(settled, ['quick', 'thrown', 'rejected', 'slow']);
  });

  test('a new batch in each turn', async () => {
    const first = await afterTurn(() => 'a');
    const second = await afterTurn(() => 'b');
    assert.deepEqual([first, second], ['a', 'b']);
  });
});
