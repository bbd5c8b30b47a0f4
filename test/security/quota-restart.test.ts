/**
 * Quotas are honest: on the embedded store a key's daily quota survives a restart of the
 * server, and the refusal reports the quota — in `details.limit` and in `X-RateLimit-Limit`,
 * with the reset at the next UTC midnight — not the per-minute limit.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './server.ts';

interface Envelope {
  error: { code: string; request_id: string; details?: Record<string, unknown> };
}

describe('daily quotas across a restart (embedded store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-quota-'));
  const env = { VERDICT_TIER_FREE_PER_DAY: '4', VERDICT_TIER_FREE_PER_MINUTE: '100' };
  let s: TestServer | undefined;
  after(async () => {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('three of four requests before the restart leave one after it, then quota_exceeded naming the quota', async () => {
    const first: TestServer = await startTestServer({ dir, env });
    s = first;
    const adminKey = first.adminKey;
    const made = await first.fetch('/api/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'free user', tier: 'free' }) });
    const { key } = (await made.json()) as { key: string };
    for (let i = 0; i < 3; i++) {
      const res = await first.fetch('/api/v1/lookup?value=192.0.2.1', { key });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-ratelimit-remaining'), String(3 - i));
    }
    await first.stop();

    // the same file, a new process's worth of state
    const second: TestServer = await startTestServer({ dir, env, adminKey });
    s = second;
    const last = await second.fetch('/api/v1/lookup?value=192.0.2.1', { key });
    assert.equal(last.status, 200, 'one left after the restart');
    assert.equal(last.headers.get('x-ratelimit-remaining'), '0');
    const refused = await second.fetch('/api/v1/lookup?value=192.0.2.1', { key });
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as Envelope;
    assert.equal(body.error.code, 'quota_exceeded');
    assert.equal(body.error.details?.['limit'], 4, 'the quota that refused, not the 100 per minute');
    assert.equal(body.error.details?.['window'], 'day');
    assert.equal(refused.headers.get('x-ratelimit-limit'), '4');
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    const midnight = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400;
    assert.equal(refused.headers.get('x-ratelimit-reset'), String(midnight));
    assert.equal(Number(refused.headers.get('retry-after')), body.error.details?.['retry_after']);
    assert.ok(Number(refused.headers.get('retry-after')) <= 86_400);
  });
});
