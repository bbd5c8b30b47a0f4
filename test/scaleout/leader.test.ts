/**
 * One ingest leader: two instances (separate pools and schedulers on one database) asked to run
 * the same feed at the same moment fetch and import it once; the other reports the run in progress.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { fetch } from 'undici';
import pino from 'pino';
import { catalogFrom, createFeedScheduler } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/index.ts';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import { postgresForTests } from './services.ts';
import { dropSchema, freshSchemaName } from './postgres.ts';

const pgUrl = await postgresForTests();

describe('one ingest leader across instances', { skip: pgUrl === null ? 'no PostgreSQL reachable' : false }, () => {
  const schema = freshSchemaName();
  after(() => dropSchema(pgUrl ?? '', schema));

  it('runs a feed once when two instances try at the same time', async () => {
    let fetches = 0;
    const server = http.createServer((_req, res) => {
      fetches++;
      // slow enough that both instances are inside withLock at once
      setTimeout(() => res.end('198.51.100.1\n198.51.100.2\n'), 400);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const def: FeedDefinition = {
      id: 'leader-test', name: 'Leader test', category: 'community', reliability: 'C', format: 'plain-list',
      url: `http://127.0.0.1:${port}/list.txt`, interval: 3600, mode: 'snapshot', enabled: true, license: 'test',
    };
    const stores = await Promise.all([0, 1].map(() => openPostgresStore(pgUrl ?? '', { schema })));
    try {
      const schedulers = stores.map((store) =>
        createFeedScheduler({ store, catalog: catalogFrom([def]), logger: pino({ level: 'silent' }), clock: () => new Date(), runLock: store.runLock(), fetch }),
      );
      const runs = await Promise.all(schedulers.map((s) => s.runNow('leader-test')));
      assert.deepEqual(runs.map((r) => r.status).sort(), ['running', 'success']);
      assert.equal(fetches, 1, 'the feed was fetched once');
      for (const store of stores) assert.equal((await store.sightingsOf('ipv4', '198.51.100.2')).length, 1, 'and both instances see it');
      await Promise.all(schedulers.map((s) => s.stop()));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      server.close();
    }
  });
});
