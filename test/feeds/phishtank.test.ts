/**
 * PhishTank's `online-valid.json` (hand-made in its published layout: one line, PHP-escaped
 * slashes, `details` per resolved address), as is and as the `.bz2` and `.gz` downloads; and
 * `verdict feeds import phishtank FILE` end to end on SQLite and PostgreSQL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fetch } from 'undici';
import { PARSERS, loadCatalog, newContext, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { runVerdict } from '../cli/run.ts';
import { dropSchema } from '../scaleout/postgres.ts';
import { postgresForTests } from '../scaleout/services.ts';
import { collect, find, fixture, parseFixture, quietLogger, tempStore } from './helpers.ts';

const FILE = 'phishtank-online-valid-handmade.json';
const pgUrl = await postgresForTests();
const PAYPAL = 'https://secure-login.paypal.example-verify.com/signin/?cmd=_login';

describe('PhishTank online-valid.json', () => {
  test('one phishing URL per entry, with its PhishTank facts; a value that is no URL is refused', async () => {
    const { records, ctx } = await parseFixture('phishtank-json', FILE);
    assert.deepEqual(records.map((r) => r.value), [PAYPAL, 'http://198.51.100.12/bank/login.html', 'https://parcel-redelivery.example.com/track?id=55']);
    assert.ok(records.every((r) => r.type === 'url' && r.threatType === 'phishing'));
    assert.equal(ctx.tally.rejected, 1);
    assert.match(ctx.tally.samples[0] ?? '', /not a url at all/);
    const r = find(records, PAYPAL);
    assert.deepEqual(r.attributes, {
      entry_id: '9012345',
      verified_at: '2026-11-28T09:31:47Z',
      target: 'PayPal',
      status: 'online',
      ip: '203.0.113.78',
      asn: 64500,
      rir: 'arin',
      country: 'US',
    });
    assert.equal(r.referenceUrl, 'http://www.phishtank.com/phish_detail.php?phish_id=9012345');
    assert.equal(r.firstSeen, '2026-11-28T09:14:02Z', 'submission_time');
    assert.equal(r.lastSeen, '2026-11-29T02:00:00Z', 'the latest detail_time, after verification_time');
  });

  test('an entry without details: the brand and verification only, last seen when it was verified', async () => {
    const { records } = await parseFixture('phishtank-json', FILE);
    const r = find(records, 'https://parcel-redelivery.example.com/track?id=55');
    assert.deepEqual(r.attributes, { entry_id: '9012347', verified_at: '2026-11-30T01:12:00Z', target: 'Example Parcel Service', status: 'online' });
    assert.equal(r.lastSeen, '2026-11-30T01:12:00Z');
  });

  test('entries PhishTank marks offline say so; a phish without its own page gets the PhishTank page of its id', async () => {
    const ctx = newContext();
    const [r] = await collect(PARSERS['phishtank-json'](JSON.stringify([{ phish_id: 42, url: 'http://203.0.113.9/x', online: 'no', details: [{ announcing_network: 'AS64510' }] }]), ctx));
    assert.deepEqual(r?.attributes, { entry_id: '42', status: 'offline', asn: 64510 });
    assert.equal(r?.referenceUrl, 'https://phishtank.org/phish_detail.php?phish_id=42');
    assert.equal(r?.firstSeen, null);
  });

  test('a document that is not the array is refused whole; one over the JSON cap before it is parsed', async () => {
    for (const doc of ['{"error": "rate limited"}', 'null']) {
      await assert.rejects(collect(PARSERS['phishtank-json'](doc, newContext())), /PhishTank: expected a JSON array of entries/);
    }
    await assert.rejects(collect(PARSERS['phishtank-json'](readFileSync(fixture(FILE)), newContext({ maxJsonBytes: 512 }))), /PhishTank: the JSON document is larger than 512 bytes/);
  });
});

describe('the phishtank catalog feed imports the download as is, bzip2 or gzip', () => {
  const def = (): FeedDefinition => {
    const d = loadCatalog().get('phishtank');
    assert.ok(d, 'the catalog has phishtank');
    return d;
  };
  const env = (store: Store): RunEnv => ({ store, logger: quietLogger, clock: () => new Date('2026-11-30T12:00:00Z'), fetch, sleep: async () => {} });

  test('the catalog entry: a snapshot of phishing URLs, community B like OpenPhish, the bzip2 download', () => {
    const d = def();
    assert.deepEqual([d.format, d.category, d.reliability, d.mode, d.types, d.url], ['phishtank-json', 'community', 'B', 'snapshot', ['url'], 'http://data.phishtank.com/data/online-valid.json.bz2']);
  });

  for (const [name, bytes] of [
    ['plain', () => readFileSync(fixture(FILE))],
    ['bzip2', () => readFileSync(fixture(`${FILE}.bz2`))],
    ['gzip', () => gzipSync(readFileSync(fixture(FILE)))],
  ] as const) {
    test(`${name}: the same three URLs, dated and detailed alike`, async () => {
      const t = await tempStore();
      try {
        const path = join(t.dir, 'online-valid.json.x');
        writeFileSync(path, bytes());
        const run = await runFeed(def(), { kind: 'file', path }, env(t.store));
        assert.equal(run.status, 'success', run.error ?? '');
        assert.deepEqual([run.result?.added, run.rejected], [3, 1]);
        const [s] = await t.store.sightingsOf('url', PAYPAL);
        assert.deepEqual([s?.feedId, s?.firstSeen, s?.lastSeen, s?.dateSource, s?.attributes['target']], ['phishtank', '2026-11-28T09:14:02.000Z', '2026-11-29T02:00:00.000Z', 'feed', 'PayPal']);
      } finally {
        await t.cleanup();
      }
    });
  }
});

describe('verdict feeds import phishtank FILE', () => {
  async function importAndLook(db: string): Promise<void> {
    const imp = await runVerdict(['feeds', 'import', 'phishtank', fixture(`${FILE}.bz2`), '--json'], '', { ...process.env, VERDICT_DATABASE_URL: db, VERDICT_LOG_LEVEL: 'error' });
    assert.equal(imp.code, 0, imp.stderr);
    const run = JSON.parse(imp.stdout) as { status: string; result: { added: number }; rejected: number };
    assert.deepEqual([run.status, run.result.added, run.rejected], ['success', 3, 1]);
    const look = await runVerdict(['lookup', 'http://198.51.100.12/bank/login.html', '--json'], '', { ...process.env, VERDICT_DATABASE_URL: db, VERDICT_LOG_LEVEL: 'error' });
    assert.equal(look.code, 0, look.stderr);
    const res = JSON.parse(look.stdout) as { found: boolean; sources: { feed_name: string; threat_type: string; reference_url: string; details: Record<string, unknown> }[] };
    assert.equal(res.found, true);
    const src = res.sources.find((s) => s.feed_name === 'PhishTank');
    assert.equal(src?.threat_type, 'phishing');
    assert.equal(src?.reference_url, 'http://www.phishtank.com/phish_detail.php?phish_id=9012346');
    assert.deepEqual(src?.details, { entry_id: '9012346', asn: 64501, country: 'DE', ip: '198.51.100.12', rir: 'ripencc', status: 'online', verified_at: '2026-11-29T17:20:00Z', target: 'Other' });
  }

  test('on SQLite', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-phishtank-'));
    try {
      await importAndLook(join(dir, 'v.db'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on PostgreSQL', { timeout: 60_000, skip: pgUrl === null ? 'no PostgreSQL reachable' : false }, async () => {
    const schema = `verdict_phishtank_${randomBytes(4).toString('hex')}`;
    try {
      await importAndLook(`${pgUrl}?schema=${schema}`);
    } finally {
      await dropSchema(pgUrl ?? '', schema);
    }
  });
});
