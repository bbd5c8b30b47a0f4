/**
 * What the command line shows and takes: feed text never reaches the terminal with its control
 * bytes; a database password need not be on the command line; the first admin key is stored by
 * a one-off step, so the long-running containers of the compose file never hold it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { formatRun } from '../../src/cli/feeds.ts';
import { formatLookup } from '../../src/cli/lookup.ts';
import { migrationTarget, type MigrateStoreIo } from '../../src/cli/migrate-store.ts';
import { RejectTally } from '../../src/feeds/parsers/types.ts';
import { printable } from '../../src/printable.ts';
import { openStore } from '../../src/store/index.ts';
import { dropSchema, freshSchemaName } from '../scaleout/postgres.ts';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));
/** What a terminal acts on: C0 controls but the line break, DEL, C1 controls, bidi overrides. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function verdict(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, VERDICT_LOG_LEVEL: 'error', ...env }, encoding: 'utf8', timeout: 60_000, ...(input !== undefined ? { input } : {}) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('printable', () => {
  const cases: [string, string, string][] = [
    ['plain text is unchanged', 'Emotet epoch5 ünïcode 😀 C:\\Users', 'Emotet epoch5 ünïcode 😀 C:\\Users'],
    ['an escape sequence that would recolour or retitle the terminal', 'a\u001b[31mred\u001b]0;pwned\u0007', 'a\\x1b[31mred\\x1b]0;pwned\\x07'],
    ['line breaks and tabs in a field', 'one\ntwo\r\tthree', 'one\\ntwo\\r\\tthree'],
    ['NUL, DEL and a C1 CSI', 'a\u0000b\u007fc\u009bd', 'a\\x00b\\x7fc\\x9bd'],
    ['a right-to-left override that reorders what follows', 'invoice\u202excod.exe', 'invoice\\u202excod.exe'],
    ['line and paragraph separators, a lone surrogate', 'a\u2028b\u2029c\ud800d', 'a\\u2028b\\u2029c\\ud800d'],
  ];
  for (const [name, input, shown] of cases) test(name, () => assert.equal(printable(input), shown));

  test('samples of refused rows are kept escaped', () => {
    const tally = new RejectTally();
    tally.reject('bad\u001b[2Jrow', 'not an IPv4 address');
    assert.deepEqual(tally.samples, ['not an IPv4 address: bad\\x1b[2Jrow']);
  });

  test('formatters escape each field, keeping their own line breaks', () => {
    const text = formatRun({ feedId: 'f', startedAt: '', finishedAt: '', status: 'failure', result: null, rejected: 1, rejectedSamples: ['x\u001b[1m'], error: 'boom\n\u001b[2J', etag: null, lastModified: null });
    assert.equal(text, 'f: failure — boom\\n\\x1b[2J\n  1 malformed row(s) skipped; first ones:\n    x\\x1b[1m');
  });
});

describe('verdict with feed text that carries control bytes', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const REASON = 'seen in \u001b]0;pwned\u0007 campaign\u001b[2J';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-cli-hygiene-'));
    env = { VERDICT_DATABASE_URL: join(dir, 'verdict.db') };
    const csv = ['indicator,kind,reason,owner', `192.0.2.77,ipv4,"${REASON}",soc\u202e`, 'not-an-ip\u001b[31m,ipv4,x,y', ''].join('\n');
    writeFileSync(join(dir, 'deny.csv'), csv);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('feeds import, feeds list and lookup print them escaped, never raw', () => {
    const imported = verdict(['feeds', 'import', 'internal-denylist', join(dir, 'deny.csv')], env);
    assert.equal(imported.code, 0, imported.err);
    assert.doesNotMatch(imported.out, RAW_CONTROL);
    assert.match(imported.out, /not-an-ip\\x1b\[31m/, 'the refused row is shown, escaped');
    const list = verdict(['feeds', 'list'], env);
    assert.equal(list.code, 0, list.err);
    assert.doesNotMatch(list.out, RAW_CONTROL);
    const lookup = verdict(['lookup', '192.0.2.77'], env);
    assert.equal(lookup.code, 0, lookup.err);
    assert.doesNotMatch(lookup.out, RAW_CONTROL);
    assert.match(lookup.out, /reason seen in \\x1b\]0;pwned\\x07 campaign\\x1b\[2J/);
    assert.match(lookup.out, /owner soc\\u202e/);
    // the JSON output keeps the data as it is: JSON escapes control characters itself
    const json = verdict(['lookup', '192.0.2.77', '--json'], env);
    assert.equal(JSON.parse(json.out).sources[0].details.reason, REASON);
  });

  test('the run record keeps the refused row escaped', async () => {
    const store = await openStore(join(dir, 'verdict.db'));
    try {
      const run = (await store.feedState('internal-denylist'))?.lastRun;
      assert.ok(run);
      assert.equal(run.rejectedSamples.length, 1);
      assert.doesNotMatch(run.rejectedSamples[0] ?? '', RAW_CONTROL);
    } finally {
      await store.close();
    }
  });

  test('an error quoting its input is escaped too', () => {
    const r = verdict(['feeds', 'sync', 'no-such\u001b[2Jfeed'], env);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.err, RAW_CONTROL);
    assert.match(r.err, /no-such\\x1b\[2Jfeed/);
  });

  test('the lookup formatter escapes what feeds wrote, hunting queries line by line', () => {
    const text = formatLookup({
      value: '192.0.2.77', type: 'ipv4', risk_score: 'high', confidence: 'medium', mitre_techniques: [], hunting_queries: { splunk: 'index=*\n| search x="\u001b"' },
      sources: [{ feed_name: 'f\u001b', category: 'internal', first_seen: 'a', last_seen: 'b', threat_type: 'denylisted', malware_family: 'E\u0007', confidence: null, reference_url: null, match: 'exact', matched_value: '192.0.2.77', date_source: 'feed', listed: true, details: { tags: ['t\u009b'] } }],
      found: true, first_seen: 'a', last_seen: 'b', risk: { score: 70, level: 'high', factors: [{ kind: 'x', description: 'd\u001b' }] }, threat_types: [], malware_families: ['E\u0007'], tags: [], warninglists: [], related: {},
    } as unknown as Parameters<typeof formatLookup>[0]);
    assert.doesNotMatch(text, RAW_CONTROL);
    assert.match(text, /\n {6}\| search x="\\x1b"\n/);
  });
});

describe('verdict migrate-store keeps the password off the command line', () => {
  const io = (env: Record<string, string>, stdin = ''): MigrateStoreIo & { warnings: string[] } => {
    const warnings: string[] = [];
    return { env, stdin: Readable.from([stdin]), warn: (l) => warnings.push(l), warnings };
  };

  test('the target comes from VERDICT_MIGRATE_TO, silently', async () => {
    const i = io({ VERDICT_MIGRATE_TO: 'postgres://verdict:s3cret@db:5432/verdict' });
    assert.equal(await migrationTarget(undefined, i), 'postgres://verdict:s3cret@db:5432/verdict');
    assert.deepEqual(i.warnings, []);
  });

  test('--to - reads it from the first line of stdin', async () => {
    const i = io({}, '\npostgres://verdict:s3cret@db:5432/verdict\nignored\n');
    assert.equal(await migrationTarget('-', i), 'postgres://verdict:s3cret@db:5432/verdict');
    await assert.rejects(migrationTarget('-', io({}, '')), /no URL on stdin/);
  });

  test('a password in --to is taken, with a warning that says where else to put it', async () => {
    const i = io({});
    assert.equal(await migrationTarget('postgres://verdict:s3cret@db/verdict', i), 'postgres://verdict:s3cret@db/verdict');
    assert.equal(i.warnings.length, 1);
    assert.match(i.warnings[0] ?? '', /password in --to .*\(ps\).*VERDICT_MIGRATE_TO.*--to -/);
    assert.doesNotMatch(i.warnings[0] ?? '', /s3cret/, 'the warning does not repeat the password');
    const bare = io({});
    await migrationTarget('postgres://verdict@db/verdict', bare);
    assert.deepEqual(bare.warnings, [], 'no password, no warning');
  });

  test('no target at all says how to give one', async () => {
    await assert.rejects(migrationTarget(undefined, io({})), /VERDICT_MIGRATE_TO.*--to -/);
  });

  test('--help says so', () => {
    const help = verdict(['migrate-store', '--help'], {});
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /VERDICT_MIGRATE_TO/);
    assert.match(help.out, /--to - < /);
  });

  const pg = process.env['VERDICT_TEST_POSTGRES_URL'] ?? null;
  test('end to end: the URL on stdin, nothing on the command line', { skip: pg === null ? 'no PostgreSQL reachable (VERDICT_TEST_POSTGRES_URL)' : false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-migrate-stdin-'));
    const schema = freshSchemaName();
    try {
      const file = join(dir, 'verdict.db');
      const source = await openStore(file);
      await source.ingest({ feedId: 'f', mode: 'snapshot', runAt: '2026-11-01T00:00:00Z' }, [{ type: 'ipv4', value: '192.0.2.10' }]);
      await source.close();
      const r = verdict(['migrate-store', '--from', file, '--schema', schema, '--to', '-', '--json'], {}, `${pg}\n`);
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).sightings, 1);
      assert.equal(r.err, '', 'no warning: no password on the command line');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropSchema(pg as string, schema);
    }
  });
});

describe('the first admin key, stored by a one-off step', () => {
  const KEY = `sk_live_${'K'.repeat(40)}`;

  test('verdict keys init stores VERDICT_ADMIN_KEY once; afterwards it does nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-keys-init-'));
    try {
      const env = { VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_ADMIN_KEY: KEY };
      const first = verdict(['keys', 'init', '--json'], env);
      assert.equal(first.code, 0, first.err);
      const stored = JSON.parse(first.out);
      assert.deepEqual([stored.outcome, stored.tier, stored.scopes, 'key' in stored], ['stored', 'enterprise', ['admin'], false]);
      assert.equal(stored.key_prefix, KEY.slice(0, 12));
      const again = verdict(['keys', 'init'], { VERDICT_DATABASE_URL: env.VERDICT_DATABASE_URL, VERDICT_ADMIN_KEY: '' });
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /holds keys already: nothing to do/);
      assert.equal(JSON.parse(verdict(['keys', 'list', '--json'], env).out).keys.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without VERDICT_ADMIN_KEY, on a store without keys, it mints one and prints it once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-keys-init-'));
    try {
      const r = verdict(['keys', 'init'], { VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_ADMIN_KEY: '' });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /shown only this once:\n\n {4}sk_live_[0-9A-Za-z]{32,}\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('deploy/compose.yaml gives VERDICT_ADMIN_KEY to the one-off init service only', () => {
    const compose = parse(readFileSync('deploy/compose.yaml', 'utf8'), { merge: true }) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string>; restart?: string; depends_on?: Record<string, { condition: string }> }>;
    };
    const holders = Object.entries(compose.services).filter(([, s]) => s.environment !== undefined && 'VERDICT_ADMIN_KEY' in s.environment).map(([name]) => name);
    assert.deepEqual(holders, ['init']);
    const init = compose.services['init'];
    assert.deepEqual(init?.command, ['keys', 'init']);
    assert.equal(init?.restart, 'no');
    assert.equal(compose.services['api']?.depends_on?.['init']?.condition, 'service_completed_successfully', 'the API replicas start once the key is stored');
  });
});
