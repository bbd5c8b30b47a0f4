/**
 * The per-instance limiter over the embedded store's quota ledger: what it counted today is
 * added to the store about once a second and when it closes, and a limiter started on the same
 * store begins from those counts — a restart does not hand a key a fresh day.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/index.ts';
import type { QuotaLedger, Store } from '../../src/store/types.ts';
import { createLedgerRateLimiter } from '../../src/ratelimit/memory.ts';
import type { RateDecision, RateLimiter, RateLimits } from '../../src/ratelimit/types.ts';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const DAY = Math.floor(T0 / 86_400_000);
const limits = { perMinute: 100, perDay: 5 };
/** The in-process limiter answers at once (no promise). */
const take = (l: RateLimiter, key: string, at: number, lim: RateLimits = limits) => l.consume(key, lim, at) as RateDecision;

describe('daily quotas kept in the embedded store', () => {
  let dir: string;
  let store: Store;
  let ledger: QuotaLedger;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-ledger-'));
    store = await openStore(join(dir, 'verdict.db'));
    ledger = store.quotas!;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a limiter started again on the same store remembers the day', async () => {
    const first = await createLedgerRateLimiter(ledger, T0);
    for (let i = 0; i < 3; i++) assert.equal(take(first, 'key_a', T0 + i).allowed, true);
    assert.equal(take(first, 'key_b', T0).allowed, true);
    await first.close();
    assert.deepEqual([...(await ledger.dayCounts(DAY))].sort(), [['key_a', 3], ['key_b', 1]]);

    const second = await createLedgerRateLimiter(ledger, T0 + 60_000);
    const got = [1, 2, 3].map((i) => take(second, 'key_a', T0 + 60_000 + i));
    assert.deepEqual(got.map((d) => d.allowed), [true, true, false], 'two left of five, not five');
    assert.equal(got[2]!.reason, 'quota_exceeded');
    assert.equal(got[2]!.limit, 5);
    await second.close();
    assert.equal((await ledger.dayCounts(DAY)).get('key_a'), 5, 'refusals are not counted');
  });

  it('adds its counts every flush interval, without waiting for close; a new day starts at zero', async () => {
    const l = await createLedgerRateLimiter(ledger, T0, { flushMs: 20 });
    try {
      take(l, 'key_c', T0);
      take(l, 'key_c', T0 + 1);
      await sleep(120);
      assert.equal((await ledger.dayCounts(DAY)).get('key_c'), 2);
      const tomorrow = T0 + 86_400_000;
      assert.equal(take(l, 'key_c', tomorrow).allowed, true);
      await sleep(120);
      assert.equal((await ledger.dayCounts(DAY + 1)).get('key_c'), 1);
    } finally {
      await l.close();
    }
  });

  it('two processes sharing the file add to each other\'s counts', async () => {
    const other = await openStore(join(dir, 'verdict.db'));
    try {
      const a = await createLedgerRateLimiter(ledger, T0);
      const b = await createLedgerRateLimiter(other.quotas!, T0);
      take(a, 'key_d', T0);
      take(b, 'key_d', T0);
      take(b, 'key_d', T0);
      await Promise.all([a.close(), b.close()]);
      assert.equal((await ledger.dayCounts(DAY)).get('key_d'), 3);
    } finally {
      await other.close();
    }
  });

  it('counts that could not be written are kept and written with the next ones', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const flaky: QuotaLedger = {
      dayCounts: (d) => ledger.dayCounts(d),
      addDayCounts: async (d, c) => {
        if (fail) throw new Error('disk full');
        await ledger.addDayCounts(d, c);
      },
    };
    const l = await createLedgerRateLimiter(flaky, T0, { flushMs: 10, onLedgerError: (err) => errors.push(err) });
    take(l, 'key_e', T0);
    await sleep(60);
    take(l, 'key_e', T0);
    fail = false;
    await l.close();
    assert.equal((await ledger.dayCounts(DAY)).get('key_e'), 2);
    assert.equal(errors.length, 2, 'told once when it failed and once when it recovered');
    assert.equal(errors[1], null);
  });
});
