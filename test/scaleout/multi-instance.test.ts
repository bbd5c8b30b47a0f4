/**
 * Two API processes on different ports sharing one PostgreSQL and one Redis, as deployed behind
 * a load balancer (docs/deploy.md): keys, rate limits, feed data and cache invalidation are shared.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresForTests, redisForTests } from './services.ts';
import { dropSchema, freshSchemaName } from './postgres.ts';
import { getJson, randomAdminKey, startInstance, verdict, type Instance } from './instances.ts';

const pgUrl = await postgresForTests();
const redisUrl = await redisForTests();
const skip = pgUrl === null ? 'no PostgreSQL reachable' : redisUrl === null ? 'no Redis reachable' : false;

describe('two API instances on one PostgreSQL and one Redis', { skip }, () => {
  const schema = freshSchemaName();
  const adminKey = randomAdminKey();
  const dir = mkdtempSync(join(tmpdir(), 'verdict-multi-'));
  const env: Record<string, string> = {
    VERDICT_DATABASE_URL: `${pgUrl}?schema=${schema}`,
    VERDICT_REDIS_URL: redisUrl ?? '',
    VERDICT_ADMIN_KEY: adminKey,
    VERDICT_TIER_FREE_PER_MINUTE: '5',
    VERDICT_CACHE_TTL_SECONDS: '300',
  };
  let a: Instance;
  let b: Instance;

  before(async () => {
    // one after the other: the first start-up creates the schema and stores the admin key
    a = await startInstance(env);
    b = await startInstance(env);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
    if (pgUrl) await dropSchema(pgUrl, schema);
  });

  async function createKey(on: Instance, tier: string): Promise<string> {
    const r = await fetch(`${on.base}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `multi-${tier}`, tier }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    return ((await r.json()) as { key: string }).key;
  }

  it('a key created through one instance works on the other', async () => {
    const key = await createKey(a, 'pro');
    const r = await getJson(`${b.base}/api/v1/lookup?value=192.0.2.1&type=ipv4`, key);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body['value'], '192.0.2.1');
  });

  it("a console session made on one instance is the other's too: signed out on one, refused on both; a revoked key's sessions end", async () => {
    const signIn = async (on: Instance, key: string) => {
      const r = await fetch(`${on.base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: key }) });
      assert.equal(r.status, 201, await r.clone().text());
      const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
      assert.match(cookie, /^verdict_session=/);
      return { cookie, csrf: ((await r.json()) as { csrf_token: string }).csrf_token };
    };
    const whoAmI = (on: Instance, cookie: string) => fetch(`${on.base}/api/v1/session`, { headers: { cookie } });
    const key = await createKey(a, 'pro');
    const s = await signIn(a, key);
    assert.equal((await whoAmI(b, s.cookie)).status, 200, 'found by the other instance');
    const lookup = await fetch(`${b.base}/api/v1/lookup?value=192.0.2.7`, { headers: { cookie: s.cookie } });
    assert.equal(lookup.status, 200, 'and it stands for the key there');
    const out = await fetch(`${b.base}/api/v1/session`, { method: 'DELETE', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    assert.equal(out.status, 204);
    assert.equal((await whoAmI(a, s.cookie)).status, 401, 'signed out on b: refused on a');

    const t = await signIn(b, key);
    const keyId = ((await (await whoAmI(a, t.cookie)).json()) as { key: { id: string } }).key.id;
    const revoked = await fetch(`${a.base}/api/v1/keys/${keyId}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminKey}` } });
    assert.ok(revoked.status === 200 || revoked.status === 204, `revoked: ${revoked.status}`);
    assert.equal((await whoAmI(b, t.cookie)).status, 401, 'the revoked key signs no one in on the other instance');
  });

  it('a limit of N per minute allows N requests in total across both instances', async () => {
    const key = await createKey(b, 'free');
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      const on = i % 2 === 0 ? a : b;
      statuses.push((await getJson(`${on.base}/api/v1/lookup?value=192.0.2.${i + 10}`, key)).status);
    }
    assert.equal(statuses.filter((s) => s === 200).length, 5, `statuses: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 4);
    const refused = await getJson(`${a.base}/api/v1/lookup?value=192.0.2.99`, key);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After set');
  });

  it('a feed imported by the leader is visible from both, and no cached answer outlives the import', async () => {
    const key = await createKey(a, 'pro');
    const value = '203.0.113.77';
    // warm both instances' view (and the shared cache) with "not found"
    // (B twice: the second answer comes from the shared cache)
    for (const on of [a, b, b]) {
      const r = await getJson(`${on.base}/api/v1/lookup?value=${value}&type=ipv4`, key);
      assert.equal(r.status, 200);
      assert.equal(r.body['found'], false);
    }
    const file = join(dir, 'compromised.txt');
    writeFileSync(file, `# test list\n${value}\n198.51.100.23\n`);
    const run = verdict(['feeds', 'import', 'et-compromised', file, '--json'], env);
    assert.equal(run.status, 0, run.stderr + run.stdout);
    for (const on of [a, b]) {
      const r = await getJson(`${on.base}/api/v1/lookup?value=${value}&type=ipv4`, key);
      assert.equal(r.status, 200);
      assert.equal(r.body['found'], true, `${on.base} still answers from before the import`);
      const sources = r.body['sources'] as { feed_name: string }[];
      assert.ok(sources.length >= 1);
    }
  });
});
