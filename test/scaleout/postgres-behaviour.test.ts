/**
 * What the PostgreSQL store does beyond the shared contract: outages become
 * StoreUnavailableError quickly and heal by themselves, CIDR lookups use the GiST index,
 * several instances share one database safely, and the repeat detector never misses a repeat.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresStore, StoreUnavailableError } from '../../src/store/postgres/index.ts';
import { RepeatDetector } from '../../src/store/postgres/ingest.ts';
import { postgresForTests } from './services.ts';
import { dropSchema, freshPostgresStore, freshSchemaName } from './postgres.ts';
import { startOutageProxy } from './proxy.ts';

const url = await postgresForTests();
const RUN_AT = '2026-11-30T12:00:00Z';

describe('RepeatDetector', () => {
  it('flags a repeated (type, value) and only that', () => {
    const d = new RepeatDetector();
    for (let i = 0; i < 200_000; i++) d.add('ipv4', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(d.maybeRepeats, false, 'distinct values are not flagged');
    d.add('domain', '10.0.0.1');
    assert.equal(d.maybeRepeats, false, 'the same text under another type is another indicator');
    d.add('ipv4', '10.0.3.4');
    assert.equal(d.maybeRepeats, true);
  });
});

describe('PostgreSQL store behaviour', { skip: url === null ? 'no PostgreSQL reachable' : false }, () => {
  const pgUrl = url ?? '';

  it('gathers the reads of lookups made together into one statement per kind', async () => {
    const { store, cleanup } = await freshPostgresStore(pgUrl);
    try {
      await store.ingest({ feedId: 'c2', mode: 'snapshot', runAt: RUN_AT }, [
        { type: 'ipv4', value: '198.51.100.1', threatType: 'botnet_cc' },
        { type: 'cidr', value: '198.51.100.0/24' },
      ]);
      const statements: string[] = [];
      const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => unknown;
      store.pool.query = ((...args: unknown[]) => {
        const config = args[0] as { text?: string } | string;
        statements.push(typeof config === 'string' ? config : (config.text ?? ''));
        return query(...args);
      }) as typeof store.pool.query;
      const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
      // as twenty lookups computed together ask: their own sightings, the ranges, the reports
      const answers = await Promise.all(
        ips.map(async (ip) => {
          const own = await store.sightingsOf('ipv4', ip);
          const ranges = await store.rangesContaining(ip);
          const reports = await store.reports.mentioning('ipv4', ip, 10);
          return { own: own.length, ranges: ranges.map((s) => s.value), reports: reports.length };
        }),
      );
      assert.equal(statements.length, 3, `one statement per kind of read:\n${statements.join('\n')}`);
      assert.deepEqual(answers[0], { own: 1, ranges: ['198.51.100.0/24'], reports: 0 });
      assert.ok(answers.slice(1).every((a) => a.own === 0 && a.ranges[0] === '198.51.100.0/24'));
      // asked alone, a read runs its own statement
      statements.length = 0;
      assert.equal((await store.sightingsOf('ipv4', '198.51.100.1')).length, 1);
      assert.equal(statements.length, 1);
      assert.doesNotMatch(statements[0]!, /ANY/);
    } finally {
      await cleanup();
    }
  });

  it('answers "ranges containing an IP" through the GiST index', async () => {
    const { store, schema, cleanup } = await freshPostgresStore(pgUrl);
    try {
      const ranges = Array.from({ length: 2000 }, (_, i) => ({ type: 'cidr' as const, value: `10.${i >> 8}.${i & 255}.0/24` }));
      ranges.push({ type: 'cidr', value: '10.0.0.0/8' }, { type: 'cidr', value: '2001:db8::/32' });
      await store.ingest({ feedId: 'drop', mode: 'snapshot', runAt: RUN_AT }, ranges);
      const hits = await store.rangesContaining('10.1.2.3');
      assert.deepEqual(hits.map((s) => s.value), ['10.1.2.0/24', '10.0.0.0/8'], 'most specific first');
      assert.deepEqual((await store.rangesContaining('2001:db8::1')).map((s) => s.value), ['2001:db8::/32']);
      assert.deepEqual(await store.rangesContaining('192.0.2.1'), []);
      const c = new pg.Client({ connectionString: pgUrl, options: `-c search_path=${schema}` });
      await c.connect();
      try {
        await c.query('ANALYZE sightings');
        const plan = (await c.query(`EXPLAIN SELECT * FROM sightings WHERE range >>= '10.1.2.3'::inet`)).rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
        assert.match(plan, /sightings_ranges/, `plan uses the GiST index:\n${plan}`);
      } finally {
        await c.end();
      }
    } finally {
      await cleanup();
    }
  });

  it('turns an outage into StoreUnavailableError within seconds, and recovers by itself', async () => {
    const target = new URL(pgUrl);
    const proxy = await startOutageProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(pgUrl);
    viaProxy.host = proxy.address;
    const schema = freshSchemaName();
    const store = await openPostgresStore(viaProxy.toString(), { schema, connectTimeoutMs: 1000 });
    try {
      await store.ingest({ feedId: 'f', mode: 'snapshot', runAt: RUN_AT }, [{ type: 'ipv4', value: '192.0.2.7' }]);
      assert.equal((await store.sightingsOf('ipv4', '192.0.2.7')).length, 1);
      await proxy.down();
      for (const call of [() => store.sightingsOf('ipv4', '192.0.2.7'), () => store.ping(), () => store.keys.findByHash('0'.repeat(64))]) {
        const started = Date.now();
        await assert.rejects(call(), (err: unknown) => err instanceof StoreUnavailableError && err.retryAfter > 0);
        assert.ok(Date.now() - started < 4000, 'fails fast, never hangs');
      }
      // the data version is answered from memory only while the listening connection proves itself alive
      await new Promise((r) => setTimeout(r, 2600));
      await assert.rejects(store.dataVersion(), StoreUnavailableError);
      await proxy.up();
      let back = false;
      for (let i = 0; i < 40 && !back; i++) {
        back = await store.sightingsOf('ipv4', '192.0.2.7').then((s) => s.length === 1, () => false);
        if (!back) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(back, 'serves again once the database is back');
    } finally {
      await store.close();
      await proxy.close();
      await dropSchema(pgUrl, schema);
    }
  });

  it('lets several instances open, migrate and ingest into one database concurrently', async () => {
    const schema = freshSchemaName();
    after(() => dropSchema(pgUrl, schema));
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(pgUrl, { schema })));
    try {
      const v0 = await stores[0]!.dataVersion();
      const feed = (f: number) => Array.from({ length: 500 }, (_, i) => ({ type: 'ipv4' as const, value: `10.${f}.${i >> 8}.${i & 255}` }));
      const results = await Promise.all([
        stores[0]!.ingest({ feedId: 'a', mode: 'snapshot', runAt: RUN_AT }, feed(1)),
        stores[1]!.ingest({ feedId: 'b', mode: 'snapshot', runAt: RUN_AT }, feed(2)),
        stores[2]!.ingest({ feedId: 'c', mode: 'snapshot', runAt: RUN_AT }, feed(1)),
      ]);
      assert.deepEqual(results.map((r) => r.added), [500, 500, 500]);
      const stats = await stores[1]!.stats();
      assert.equal(stats.sightings, 1500);
      assert.equal(stats.indicators, 1000, 'an indicator on two feeds counts once, even when both runs were concurrent');
      // the others' notices may still be in flight for a moment
      let v = await stores[2]!.dataVersion();
      for (let i = 0; i < 100 && v !== v0 + 3; i++) {
        await new Promise((r) => setTimeout(r, 10));
        v = await stores[2]!.dataVersion();
      }
      assert.equal(v, v0 + 3, 'each committed run bumps the shared version once');
      assert.equal((await stores[0]!.sightingsOf('ipv4', '10.1.0.7')).length, 2);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('takes the schema from ?schema= in the URL, and starts data versions apart per database', async () => {
    const schema = freshSchemaName();
    const store = await openPostgresStore(`${pgUrl}?schema=${schema}`);
    try {
      await store.ingest({ feedId: 'f', mode: 'snapshot', runAt: RUN_AT }, [{ type: 'domain', value: 'schema.example' }]);
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try {
        const r = await c.query(`SELECT count(*)::int AS n FROM ${schema}.sightings`);
        assert.equal(r.rows[0].n, 1, 'rows landed in the named schema');
      } finally {
        await c.end();
      }
      assert.ok((await store.dataVersion()) > Date.UTC(2026, 0, 1), 'the version starts at the creation time, not 0');
    } finally {
      await store.close();
      await dropSchema(pgUrl, schema);
    }
  });

  it('refuses a bad schema name or URL clearly', async () => {
    await assert.rejects(openPostgresStore(pgUrl, { schema: 'x; DROP TABLE y' }), /must be a lower-case SQL identifier/);
    await assert.rejects(openPostgresStore('mysql://x'), /postgres:\/\/ URL is required/);
  });
});
