/**
 * Parsing on the parse thread is an optimisation only: records, rejects, run results and store
 * contents are exactly those of parsing on the calling thread, and failures fail the run the
 * same way, leaving the previous data. A thread that cannot start is no quiet fallback: the run
 * fails saying why.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { pino } from 'pino';
import { fetch } from 'undici';
import { PARSERS, RejectTally, newContext, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import { DEFAULT_PARSE_THREAD_MIN_BYTES } from '../../src/feeds/run.ts';
import { PARSE_THREAD_ENTRY, ParseThreadError, parseOnThread, type ParseJob } from '../../src/feeds/parse-thread/index.ts';
import { RecordPacker, RecordUnpacker } from '../../src/feeds/parse-thread/protocol.ts';
import type { FeedDefinition, FeedFormat } from '../../src/feeds/types.ts';
import type { SightingRecord } from '../../src/model.ts';
import type { Store } from '../../src/store/types.ts';
import { collect, fixture, quietLogger, tempStore } from './helpers.ts';

const ON_THREAD = 0;
const INLINE = Number.POSITIVE_INFINITY;

/** Log lines of runs that were to parse on the thread: each must say it did (not fall back to inline). */
const threadLog: string[] = [];
const threadLogger = pino({ level: 'debug' }, { write: (line: string) => threadLog.push(line) });

function env(store: Store, parseThreadMinBytes: number, at = '2026-11-30T12:00:00Z'): RunEnv {
  const logger = parseThreadMinBytes === ON_THREAD ? threadLogger : quietLogger;
  return { store, logger, clock: () => new Date(at), fetch, sleep: async () => {}, parseThreadMinBytes };
}

function assertParsedOnThread(runs: number): void {
  const lines = threadLog.splice(0);
  assert.equal(lines.filter((l) => l.includes('parsing on the parse thread')).length, runs, lines.join(''));
}

function feed(format: FeedFormat, options: Record<string, unknown> = {}, mode: 'snapshot' | 'incremental' = 'snapshot'): FeedDefinition {
  return { id: `t-${format}`, name: 'Test', category: 'community', reliability: 'B', format, url: null, interval: 0, mode, enabled: true, license: 'test', options };
}

/** Every table a run writes, as rows: two stores holding the same data dump the same. */
function dump(dbFile: string): Record<string, unknown[]> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const table of ['sightings', 'cidr_ranges', 'feed_state', 'meta', 'feed_runs']) {
      out[table] = db.prepare(`SELECT * FROM ${table}`).all().map((row) => JSON.stringify(row)).sort();
    }
    return out;
  } finally {
    db.close();
  }
}

/** Imports `path` once on the thread and once inline, each into a fresh store; both runs and both stores must agree. */
async function bothWays(def: FeedDefinition, path: string) {
  const results = [];
  for (const minBytes of [ON_THREAD, INLINE]) {
    const t = await tempStore();
    try {
      const run = await runFeed(def, { kind: 'file', path }, env(t.store, minBytes));
      results.push({ run, tables: dump(t.url) });
    } finally {
      await t.cleanup();
    }
  }
  const [thread, inline] = results as [(typeof results)[number], (typeof results)[number]];
  assertParsedOnThread(1);
  assert.deepEqual(thread.run, inline.run);
  assert.deepEqual(thread.tables, inline.tables);
  return inline.run;
}

const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** A CSV mapping feed with every kind of row: good ones of several types, rejects, quotes across lines, repeats, a BOM and CRLF. */
function teamCsv(rows: number): string {
  const lines = ['\ufeffindicator,type,threat,family,tags,confidence,first_seen,owner'];
  for (let i = 0; i < rows; i++) {
    if (i % 97 === 0) lines.push(`not an indicator ${i},domain,botnet_cc,,,,,`);
    else if (i % 89 === 0) lines.push(`${ip(i)},ipv4,no-such-threat,,,,,`);
    else if (i % 83 === 0) lines.push(`"http://evil.example.com/a?x=${i},
y",url,payload_delivery,,"a,b",50,2026-11-01,soc`);
    else if (i % 79 === 0) lines.push(`${ip(i - 1)},ipv4,scanner,,"c",40,,`); // repeats the previous IP with other facts
    else if (i % 2 === 0) lines.push(`${ip(i)},ipv4,botnet_cc,Emotet,"c2,x",${i % 101},2026-11-${String((i % 28) + 1).padStart(2, '0')},`);
    else lines.push(`host-${i}.example.com,domain,phishing,,,,2026-11-01 10:00:00,"team ${i % 3}"`);
  }
  return lines.join('\r\n') + '\r\n';
}

const TEAM_OPTIONS = {
  fields: { value: 'indicator', type: 'type', threatType: 'threat', malwareFamily: 'family', tags: 'tags', confidence: 'confidence', firstSeen: 'first_seen' },
  attributes: ['owner'],
  tags: 'team',
};

describe('records travel to the calling thread unchanged', () => {
  const text = fc.constantFrom('a', 'b', 'évil', '', '2026-11-01T00:00:00Z');
  const record = fc.record(
    {
      type: fc.constantFrom('ipv4', 'domain', 'url', 'cidr'),
      value: fc.string(),
      firstSeen: fc.option(text, { nil: undefined }),
      lastSeen: fc.constantFrom(null, undefined, '2026-11-02T00:00:00Z'),
      threatType: fc.constantFrom(null, 'scanner', 'botnet_cc'),
      malwareFamily: fc.option(fc.oneof(text, fc.string()), { nil: null }),
      tags: fc.array(fc.constantFrom('a', 'b', 'c')),
      confidence: fc.constantFrom(null, 0, 50, 100),
      referenceUrl: fc.constantFrom(null, 'https://ref.example/1'),
      attackIds: fc.array(fc.constantFrom('T1059', 'T1566.001')),
      attributes: fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom('port', 'id'), fc.oneof(fc.integer(), fc.string()), { noNullPrototype: true })),
      dateSource: fc.constantFrom(null, undefined, 'feed', 'file'),
    },
    { requiredKeys: ['type', 'value'], noNullPrototype: true },
  ) as fc.Arbitrary<SightingRecord>;

  test('packing and unpacking gives deep-equal records, batch after batch', () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 30 }), { maxLength: 5 }), (batches) => {
        const packer = new RecordPacker();
        const unpacker = new RecordUnpacker();
        for (const batch of batches) {
          const packed = structuredClone(packer.pack(batch));
          assert.deepStrictEqual(unpacker.unpack(packed), batch);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('past the dictionary limit, and for an object in a dictionary field, values travel as they are', () => {
    const packer = new RecordPacker();
    const unpacker = new RecordUnpacker();
    const batch: SightingRecord[] = Array.from({ length: 10_000 }, (_, i) => ({ type: 'ipv4', value: ip(i), firstSeen: `2026-11-01T00:00:${i}Z` }));
    batch.push({ type: 'ipv4', value: '10.9.9.9', malwareFamily: { odd: true } as unknown as string });
    assert.deepStrictEqual(unpacker.unpack(structuredClone(packer.pack(batch))), batch);
    assert.deepStrictEqual(unpacker.unpack(structuredClone(packer.pack(batch.slice(0, 10)))), batch.slice(0, 10));
  });
});

describe('a run parsed on the parse thread', () => {
  test('a CSV mapping feed: same run record, rejects, samples and store contents as inline', async () => {
    const t = await tempStore();
    try {
      const path = join(t.dir, 'team.csv');
      writeFileSync(path, teamCsv(30_000));
      const run = await bothWays(feed('csv-mapping', TEAM_OPTIONS), path);
      assert.equal(run.status, 'success', run.error ?? '');
      assert.ok(run.rejected > 600 && run.rejectedSamples.length === 5, `${run.rejected} rejects`);
      assert.ok((run.result?.received ?? 0) > (run.result?.added ?? 0), 'repeats merged');
    } finally {
      await t.cleanup();
    }
  });

  const SAMPLES: [FeedFormat, string, Record<string, unknown>][] = [
    ['plain-list', 'et-compromised-ips.txt', { type: 'ipv4', threatType: 'scanner', tags: 'et' }],
    ['plain-list', 'dshield-handmade.txt', { column: 0, prefixColumn: 2, header: true }],
    ['spamhaus-drop-ndjson', 'drop_v4.json', {}],
    ['spamhaus-drop', 'drop-txt.zip', {}],
    ['cisa-kev', 'cisa-kev-first25.json', {}],
    ['urlhaus-csv', 'urlhaus-handmade.csv', {}],
    ['threatfox-json', 'threatfox-handmade.json', {}],
    ['malwarebazaar-csv', 'malwarebazaar-handmade.csv', {}],
    ['misp-feed', 'misp_event_yeti.json', {}],
    ['stix-bundle', 'poisonivy.json', {}],
    ['jsonl-mapping', 'internal-handmade.jsonl', { fields: { value: 'ioc.value', type: 'ioc.type', threatType: 'category', confidence: 'score', firstSeen: 'seen' } }],
    ['jsonl-mapping', 'json-nested-handmade.json', { fields: { value: 'ioc.value', type: 'ioc.type' }, recordsPath: 'data.items' }],
    // the kinds OTX skips are counted on the thread and reach the run record
    ['otx', 'otx-pulses-handmade.json', {}],
    ['phishtank-json', 'phishtank-online-valid-handmade.json.bz2', {}],
  ];
  for (const [format, file, options] of SAMPLES) {
    test(`${format} (${file}): the same as inline`, async () => {
      const run = await bothWays(feed(format, options), fixture(file));
      assert.equal(run.status, 'success', run.error ?? '');
    });
  }

  test('a gzip file, and a progress bar fed to the end', async () => {
    const t = await tempStore();
    try {
      const path = join(t.dir, 'team.csv.gz');
      writeFileSync(path, gzipSync(teamCsv(5_000)));
      await bothWays(feed('csv-mapping', TEAM_OPTIONS), path);
      let last = [0, 0];
      const run = await runFeed(feed('csv-mapping', TEAM_OPTIONS), { kind: 'file', path, onProgress: (n, total) => (last = [n, total]) }, env(t.store, ON_THREAD));
      assert.equal(run.status, 'success', run.error ?? '');
      assertParsedOnThread(1);
      const size = readFileSync(path).length;
      assert.deepEqual(last, [size, size]);
    } finally {
      await t.cleanup();
    }
  });

  test('a parse error on the thread fails the run with the inline message and leaves the previous data', async () => {
    const t = await tempStore();
    try {
      const good = join(t.dir, 'good.csv');
      writeFileSync(good, teamCsv(2_000));
      const def = feed('csv-mapping', TEAM_OPTIONS);
      const first = await runFeed(def, { kind: 'file', path: good }, env(t.store, ON_THREAD));
      assert.equal(first.status, 'success', first.error ?? '');
      assertParsedOnThread(1);
      const before = dump(t.url).sightings;
      // a gzip cut short: records flow, then unpacking fails
      const broken = join(t.dir, 'broken.csv.gz');
      const gz = gzipSync(teamCsv(20_000));
      writeFileSync(broken, gz.subarray(0, gz.length >> 1));
      const runs = [];
      for (const minBytes of [ON_THREAD, INLINE]) runs.push(await runFeed(def, { kind: 'file', path: broken }, env(t.store, minBytes, '2026-12-01T12:00:00Z')));
      const [thread, inline] = runs as [(typeof runs)[number], (typeof runs)[number]];
      assertParsedOnThread(1);
      assert.equal(thread.status, 'failure');
      assert.match(thread.error ?? '', /unpacking the gzip body failed/);
      assert.deepEqual({ ...thread, finishedAt: null }, { ...inline, finishedAt: null });
      assert.deepEqual(dump(t.url).sightings, before, 'the store is as before the failed runs');
    } finally {
      await t.cleanup();
    }
  });

  test('a file of mostly malformed rows fails like inline, with the rejects counted', async () => {
    const t = await tempStore();
    try {
      const path = join(t.dir, 'wrong.csv');
      writeFileSync(path, ['indicator', ...Array.from({ length: 500 }, (_, i) => (i % 10 === 0 ? ip(i) : `junk ${i}`))].join('\n'));
      const run = await bothWays(feed('csv-mapping', { fields: { value: 'indicator' } }), path);
      assert.equal(run.status, 'failure');
      assert.match(run.error ?? '', /50 of 500 rows are indicators the feed takes; the refused ones include 450 lines of text/);
      assert.equal(run.rejected, 450);
    } finally {
      await t.cleanup();
    }
  });

  test('an HTML page is refused on the thread as inline', async () => {
    const t = await tempStore();
    try {
      const path = join(t.dir, 'login.html');
      writeFileSync(path, '<!DOCTYPE html><html><body>Please log in</body></html>\n'.repeat(50));
      const run = await bothWays(feed('plain-list'), path);
      assert.match(run.error ?? '', /HTML page/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('the parse thread itself', () => {
  const job = (path: string): ParseJob => ({ format: 'csv-mapping', path, options: TEAM_OPTIONS, zipEntry: null, progress: false, batchSize: 256 });
  const noInline = async (): Promise<AsyncIterable<SightingRecord>> => {
    throw new Error('expected the parse thread');
  };

  test('a reader that stops midway, then a full read: the thread is replaced and the next read is whole', async () => {
    const t = await tempStore();
    try {
      const path = join(t.dir, 'team.csv');
      writeFileSync(path, teamCsv(5_000));
      let n = 0;
      for await (const _r of parseOnThread(job(path), new RejectTally(), noInline)) if (++n === 1_000) break;
      const tally = new RejectTally();
      const all = await collect(parseOnThread(job(path), tally, noInline));
      const again = await collect(parseOnThread(job(path), new RejectTally(), noInline));
      assert.equal(all.length, again.length);
      assert.ok(all.length > 4_800 && tally.rejected > 90, `${all.length} records, ${tally.rejected} rejects`);
    } finally {
      await t.cleanup();
    }
  });

  test('a second parse while the thread is busy runs inline, and both are whole', async () => {
    const t = await tempStore();
    try {
      const path = join(t.dir, 'team.csv');
      writeFileSync(path, teamCsv(5_000));
      const expected = await collect(parseOnThread(job(path), new RejectTally(), noInline));
      const first = parseOnThread(job(path), new RejectTally(), noInline)[Symbol.asyncIterator]();
      const head = await first.next(); // the thread now works for `first`
      let inlineUsed = false;
      const second = await collect(
        parseOnThread(job(path), new RejectTally(), async () => {
          inlineUsed = true;
          return PARSERS['csv-mapping'](readFileSync(path), newContext(TEAM_OPTIONS));
        }),
      );
      const rest: SightingRecord[] = [];
      for (let r = head; !r.done; r = await first.next()) rest.push(r.value);
      assert.ok(inlineUsed, 'the busy thread sent the second parse inline');
      assert.deepStrictEqual(second, expected);
      assert.deepStrictEqual(rest, expected);
    } finally {
      await t.cleanup();
    }
  });

  test('a thread that cannot start fails the parse, saying why; the next parse starts a good one', async () => {
    const t = await tempStore();
    try {
      const path = join(t.dir, 'team.csv');
      writeFileSync(path, teamCsv(1_000));
      const expected = await collect(parseOnThread(job(path), new RejectTally(), noInline));
      const missing = new URL('./no-such-worker.js', PARSE_THREAD_ENTRY);
      await assert.rejects(collect(parseOnThread(job(path), new RejectTally(), noInline, { entry: missing })), (err: unknown) => {
        assert.ok(err instanceof ParseThreadError, String(err));
        assert.match(err.message, /^the parse thread could not start: .*no-such-worker\.js/);
        return true;
      });
      assert.deepStrictEqual(await collect(parseOnThread(job(path), new RejectTally(), noInline)), expected);
    } finally {
      await t.cleanup();
    }
  });
});

/** A file of `n` addresses, large enough for the parse thread (DEFAULT_PARSE_THREAD_MIN_BYTES). */
function largeList(dir: string, n = 420_000): string {
  const path = join(dir, 'allow.txt');
  writeFileSync(path, Array.from({ length: n }, (_, i) => ip(i)).join('\n') + '\n');
  assert.ok(statSync(path).size > DEFAULT_PARSE_THREAD_MIN_BYTES, 'a file large enough for the parse thread');
  return path;
}

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));

describe('verdict feeds import of a large file (the built command)', () => {
  test('parses it on the parse thread, from dist/', { timeout: 120_000 }, async () => {
    const t = await tempStore();
    try {
      const path = largeList(t.dir);
      const r = spawnSync(process.execPath, [BIN, 'feeds', 'import', 'internal-allowlist', path, '--json'], {
        env: { ...process.env, VERDICT_DATABASE_URL: join(t.dir, 'cli.db'), VERDICT_LOG_LEVEL: 'debug' },
        encoding: 'utf8',
        timeout: 100_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const run = JSON.parse(r.stdout) as { status: string; result: { added: number } };
      assert.equal(run.status, 'success');
      assert.equal(run.result.added, 420_000);
      assert.match(r.stderr, /parsing on the parse thread/);
    } finally {
      await t.cleanup();
    }
  });

  test('fails the run when the parse thread cannot start, saying why, and stores nothing', { timeout: 120_000 }, async () => {
    const t = await tempStore();
    try {
      const path = largeList(t.dir);
      const db = join(t.dir, 'cli.db');
      // a preload that every worker thread of the process inherits, and that stops each one
      const noThreads = `data:text/javascript,import { isMainThread } from 'node:worker_threads'; if (!isMainThread) throw new Error('no worker threads in this process');`;
      const r = spawnSync(process.execPath, ['--import', noThreads, BIN, 'feeds', 'import', 'internal-allowlist', path, '--json'], {
        env: { ...process.env, VERDICT_DATABASE_URL: db, VERDICT_LOG_LEVEL: 'error' },
        encoding: 'utf8',
        timeout: 100_000,
      });
      assert.equal(r.status, 1, r.stderr);
      const run = JSON.parse(r.stdout) as { status: string; error: string; result: unknown };
      assert.equal(run.status, 'failure');
      assert.match(run.error, /^the parse thread could not start: no worker threads in this process/);
      assert.equal(run.result, null);
      const list = spawnSync(process.execPath, [BIN, 'feeds', 'list', '--json'], { env: { ...process.env, VERDICT_DATABASE_URL: db }, encoding: 'utf8' });
      const feeds = (JSON.parse(list.stdout) as { feeds: { id: string; health: { total_count: number; last_error: string | null } }[] }).feeds;
      const allow = feeds.find((f) => f.id === 'internal-allowlist');
      assert.deepEqual([allow?.health.total_count, allow?.health.last_error?.startsWith('the parse thread could not start')], [0, true]);
    } finally {
      await t.cleanup();
    }
  });
});
