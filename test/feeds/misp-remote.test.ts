/** A MISP feed over HTTP: manifest first, then only the events changed since the last success. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fetch } from 'undici';
import { loadCatalog, runFeed } from '../../src/feeds/index.ts';
import { MISP_CURSOR_COMPLETE, selectMispEvents } from '../../src/feeds/sources.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer } from './server.ts';

const EV1 = '5f1a2b3c-0000-4000-8000-000000000001';
const EV2 = '5f1a2b3c-0000-4000-8000-000000000002';

test('fetches the manifest and its events, then only events newer than the last success', async () => {
  const server = await startServer();
  const t = await tempStore();
  try {
    const manifest = JSON.parse(readFileSync(fixture('misp-feed-handmade/manifest.json'), 'utf8')) as Record<string, { timestamp: number }>;
    server.route('/feed-osint/manifest.json', (_req, res) => res.end(JSON.stringify(manifest)));
    for (const id of [EV1, EV2]) server.route(`/feed-osint/${id}.json`, (_req, res) => res.end(readFileSync(fixture(`misp-feed-handmade/${id}.json`))));
    const base = loadCatalog().get('circl-osint');
    assert.ok(base);
    const def = { ...base, url: `${server.url}/feed-osint/` };
    // the first run happens a few days after both events
    let now = Date.parse('2026-12-01T00:00:00Z');
    const env = { store: t.store, logger: quietLogger, clock: () => new Date(now), fetch, sleep: async () => {} };
    const first = await runFeed(def, { kind: 'remote' }, env);
    assert.equal(first.status, 'success', first.error ?? '');
    assert.equal(first.result?.added, 7);
    assert.equal(server.hits.get(`/feed-osint/${EV1}.json`), 1);
    // a week later: event 2 changed, event 1 did not
    now += 7 * 86_400_000;
    const ev2 = manifest[EV2];
    assert.ok(ev2);
    ev2.timestamp = Math.floor(now / 1000) - 3600;
    const second = await runFeed(def, { kind: 'remote' }, env);
    assert.equal(second.status, 'success', second.error ?? '');
    assert.equal(second.result?.received, 2, 'only the changed event is read');
    assert.equal(server.hits.get(`/feed-osint/${EV1}.json`), 1, 'the unchanged event is not fetched again');
    assert.equal(server.hits.get(`/feed-osint/${EV2}.json`), 2);
    assert.equal((await t.store.feedState('circl-osint'))?.listedCount, 7, 'incremental: nothing delisted');
  } finally {
    await t.cleanup();
    await server.close();
  }
});

describe('a MISP feed larger than one run takes (options.maxEvents)', () => {
  const uuid = (n: number): string => `7a000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const DAY = 86_400;
  // events 1…5, one a day in October 2026 (event 5 newest); events 3 and 4 share a timestamp
  const stamps = [0, Date.UTC(2026, 9, 1) / 1000, Date.UTC(2026, 9, 2) / 1000, Date.UTC(2026, 9, 3) / 1000, Date.UTC(2026, 9, 3) / 1000, Date.UTC(2026, 9, 5) / 1000];
  const entries = (): { uuid: string; timestamp: number }[] => [1, 2, 3, 4, 5].map((n) => ({ uuid: uuid(n), timestamp: stamps[n] as number }));
  const names = (xs: { uuid: string }[]): number[] => xs.map((e) => Number(e.uuid.slice(-12)));

  test('selectMispEvents: newest first, then the history a run at a time, then only changes', () => {
    let r = selectMispEvents(entries(), 0, 2, null);
    assert.deepEqual(names(r.take), [5, 4], 'first run: the newest two (equal timestamps by uuid, descending)');
    assert.equal(r.cursor, `${stamps[4]} ${uuid(4)}`);
    r = selectMispEvents(entries(), stamps[5] as number + DAY, 2, r.cursor);
    assert.deepEqual(names(r.take), [3, 2], 'nothing changed: two more of the history, 3 before 4 split exactly');
    r = selectMispEvents(entries(), stamps[5] as number + DAY, 2, r.cursor);
    assert.deepEqual([names(r.take), r.cursor], [[1], MISP_CURSOR_COMPLETE]);
    r = selectMispEvents(entries(), stamps[5] as number + DAY, 2, r.cursor);
    assert.deepEqual([names(r.take), r.cursor], [[], MISP_CURSOR_COMPLETE], 'all read: only changes from now on');
    const changed = entries().map((e) => (e.uuid === uuid(2) ? { ...e, timestamp: stamps[5] as number + 2 * DAY } : e));
    assert.deepEqual(names(selectMispEvents(changed, stamps[5] as number + DAY, 2, MISP_CURSOR_COMPLETE).take), [2]);
  });

  test('selectMispEvents: changes always go first and are never cut; history gets the room left', () => {
    const since = stamps[3] as number;
    // events 3, 4, 5 changed since the last success; the history (1, 2) waits for a run with room
    const r = selectMispEvents(entries(), since, 2, null);
    assert.deepEqual([names(r.take), r.cursor], [[5, 4, 3], null]);
    const next = selectMispEvents(entries(), since, 4, null);
    assert.deepEqual([names(next.take), next.cursor], [[5, 4, 3, 2], `${stamps[2]} ${uuid(2)}`]);
    // a cursor that cannot be read starts the history again rather than skipping any of it
    assert.deepEqual(names(selectMispEvents(entries(), 0, 10, 'garbage').take), [5, 4, 3, 2, 1]);
  });

  test('over HTTP: each run reads more of the history, a failed run keeps its place', async () => {
    const server = await startServer();
    const t = await tempStore();
    try {
      const manifest = Object.fromEntries(entries().map((e) => [e.uuid, { info: `event ${e.uuid.slice(-1)}`, timestamp: e.timestamp }]));
      server.route('/feed/manifest.json', (_req, res) => res.end(JSON.stringify(manifest)));
      let broken = false;
      for (const e of entries()) {
        const n = Number(e.uuid.slice(-12));
        server.route(`/feed/${e.uuid}.json`, (_req, res) => {
          if (broken) {
            res.statusCode = 404;
            res.end();
            return;
          }
          res.end(JSON.stringify({ Event: { uuid: e.uuid, info: `event ${n}`, timestamp: String(e.timestamp), Attribute: [{ type: 'ip-dst', category: 'Network activity', to_ids: true, value: `198.51.100.${n}` }] } }));
        });
      }
      const base = loadCatalog().get('circl-osint');
      assert.ok(base);
      const def = { ...base, url: `${server.url}/feed/`, options: { ...base.options, maxEvents: 2 } };
      let now = Date.parse('2026-12-01T00:00:00Z');
      const env = { store: t.store, logger: quietLogger, clock: () => new Date(now), fetch, sleep: async () => {}, fetchSettings: { timeoutMs: 2000, maxBytes: 1_000_000, retries: 0, backoffMs: 0 } };
      const held = async (): Promise<number[]> => {
        const out: number[] = [];
        for (let n = 1; n <= 5; n++) if ((await t.store.sightingsOf('ipv4', `198.51.100.${n}`)).length > 0) out.push(n);
        return out;
      };
      const first = await runFeed(def, { kind: 'remote' }, env);
      assert.equal(first.status, 'success', first.error ?? '');
      assert.deepEqual(await held(), [4, 5]);
      now += 6 * 3600_000;
      broken = true;
      const failed = await runFeed(def, { kind: 'remote' }, env);
      assert.equal(failed.status, 'failure');
      assert.equal(failed.cursor, first.cursor, 'the failed run carries the place forward');
      broken = false;
      now += 6 * 3600_000;
      assert.equal((await runFeed(def, { kind: 'remote' }, env)).status, 'success');
      assert.deepEqual(await held(), [2, 3, 4, 5]);
      now += 6 * 3600_000;
      const last = await runFeed(def, { kind: 'remote' }, env);
      assert.deepEqual([last.status, last.cursor, last.result?.added], ['success', MISP_CURSOR_COMPLETE, 1]);
      assert.deepEqual(await held(), [1, 2, 3, 4, 5]);
      const hits = [1, 2, 3, 4, 5].map((n) => server.hits.get(`/feed/${uuid(n)}.json`) ?? 0);
      now += 6 * 3600_000;
      const quiet = await runFeed(def, { kind: 'remote' }, env);
      assert.deepEqual([quiet.status, quiet.result?.received], ['success', 0]);
      assert.deepEqual([1, 2, 3, 4, 5].map((n) => server.hits.get(`/feed/${uuid(n)}.json`) ?? 0), hits, 'nothing read again once the history is in');
      assert.equal((await t.store.feedState('circl-osint'))?.lastRun?.cursor, MISP_CURSOR_COMPLETE);
    } finally {
      await t.cleanup();
      await server.close();
    }
  });
});
