/**
 * A refused import names the fix: `--allow-drop` for a suspect drop and for a file with no
 * entries, "binary file" for binary input, the JSON mapping and `recordsPath` for JSON given to a
 * line format, "pass the folder" for a MISP manifest alone, "no such file: PATH" for a file that
 * is not there (never Node's ENOENT) — and leaves the store as it was, without a large SQLite
 * write-ahead log. Through runFeed (as the scheduler and `verdict feeds import` run it) and the
 * built command.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fetch } from 'undici';
import { loadCatalog } from '../../src/feeds/catalog.ts';
import { previewFeed, runFeed, type RunEnv } from '../../src/feeds/run.ts';
import { binaryKind } from '../../src/feeds/payload.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import type { Store } from '../../src/store/types.ts';
import { runVerdict } from '../cli/run.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer } from './server.ts';

const CATALOG = loadCatalog();
const feed = (id: string, over: Partial<FeedDefinition> = {}): FeedDefinition => {
  const def = CATALOG.get(id);
  assert.ok(def, id);
  return { ...def, ...over };
};

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'verdict-refusals-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

let clock = Date.parse('2026-11-30T12:00:00Z');
const env = (store: Store): RunEnv => ({ store, logger: quietLogger, clock: () => new Date((clock += 60_000)), fetch, sleep: async () => {} });

/** Raw control characters a terminal would act on (line breaks aside). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('a file that is not there', () => {
  it('is "no such file: PATH" in the run record, the dry run and every command, never ENOENT', async () => {
    const t = await tempStore();
    try {
      const missing = join(dir, 'nowhere', 'iocs.txt');
      const run = await runFeed(feed('blocklist-de'), { kind: 'file', path: missing }, env(t.store));
      assert.equal(run.status, 'failure');
      assert.equal(run.error, `no such file: ${missing}`);
      const preview = await previewFeed(feed('blocklist-de'), missing, env(t.store));
      assert.equal(preview.refused, `no such file: ${missing}`);
      const misp = await runFeed(feed('circl-osint'), { kind: 'file', path: missing }, env(t.store));
      assert.equal(misp.error, `no such file: ${missing}`);

      const cli: NodeJS.ProcessEnv = { ...process.env, VERDICT_DATABASE_URL: join(t.dir, 'cli.db'), VERDICT_LOG_LEVEL: 'error' };
      delete cli.VERDICT_FEEDS_FILE;
      const outputs = [
        await runVerdict(['feeds', 'import', 'blocklist-de', missing], '', cli),
        await runVerdict(['feeds', 'import', 'blocklist-de', missing, '--dry-run', '--json'], '', cli),
        await runVerdict(['feeds', 'list'], '', { ...cli, VERDICT_FEEDS_FILE: join(dir, 'no-feeds.json') }),
        await runVerdict(['extract', missing], '', cli),
        await runVerdict(['lookup', '192.0.2.1'], '', { ...cli, VERDICT_CONFIG_FILE: join(dir, 'no-config.json') }),
      ];
      for (const o of outputs) {
        assert.equal(o.code, 1, o.stdout + o.stderr);
        assert.doesNotMatch(o.stdout + o.stderr, /ENOENT|no such file or directory/);
        assert.match(o.stdout + o.stderr, /no such file: \S*(iocs\.txt|no-feeds\.json|no-config\.json)/);
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('a file with no entries', () => {
  it('is refused, naming --allow-drop: on a new feed, and as a suspect drop on a feed that lists something; the data stays', async () => {
    const t = await tempStore();
    try {
      const def = feed('blocklist-de');
      const files = { empty: write('empty.txt', ''), comments: write('comments.txt', '# blocklist.de all.txt\n# nothing today\n\n') };
      for (const path of Object.values(files)) {
        const first = await runFeed(def, { kind: 'file', path }, env(t.store));
        assert.equal(first.status, 'failure');
        assert.match(first.error ?? '', /^the file holds no entries \(empty, or only comments\): nothing to import\. If the feed is empty on purpose, import the file with --allow-drop$/);
      }
      assert.equal(await t.store.feedDefinitions.get('blocklist-de'), null, 'a refused first import leaves no trace');

      assert.equal((await runFeed(def, { kind: 'file', path: fixture('blocklist-de-handmade.txt') }, env(t.store))).status, 'success');
      const listed = (await t.store.feedState('blocklist-de'))?.listedCount ?? 0;
      assert.ok(listed > 0);
      const refused = await runFeed(def, { kind: 'file', path: files.empty }, env(t.store));
      assert.equal(refused.error, `the file holds no entries: it would delist all ${listed} sightings the feed lists; refused as suspect, previous data kept. If the feed is empty on purpose, import the file with --allow-drop`);
      assert.equal((await t.store.feedState('blocklist-de'))?.listedCount, listed);
      const dry = await previewFeed(def, files.comments, env(t.store));
      assert.match(dry.refused ?? '', /would delist all \d+ sightings .*--allow-drop$/);

      const allowed = await runFeed(def, { kind: 'file', path: files.empty, allowDrop: true }, env(t.store));
      assert.equal(allowed.status, 'success', allowed.error ?? '');
      assert.equal(allowed.result?.delisted, listed);
    } finally {
      await t.cleanup();
    }
  });
});

describe('a suspect drop', () => {
  it('names --allow-drop for an import, and maxDropShare or an import for a scheduled run', async () => {
    const t = await tempStore();
    const server = await startServer();
    try {
      const def = feed('blocklist-de');
      const full = write('full.txt', Array.from({ length: 10 }, (_, i) => `203.0.113.${i + 1}`).join('\n'));
      assert.equal((await runFeed(def, { kind: 'file', path: full }, env(t.store))).status, 'success');
      const few = write('few.txt', '203.0.113.1\n203.0.113.2\n');
      const run = await runFeed(def, { kind: 'file', path: few }, env(t.store));
      assert.equal(run.error, 'feed blocklist-de: the run would delist 8 of 10 listed sightings (more than 50%); refused as suspect, previous data kept; if the feed really dropped them, import the file again with --allow-drop');

      server.route('/all.txt', (_req, res) => res.end('203.0.113.1\n'));
      const remote = await runFeed({ ...def, url: `${server.url}/all.txt`, options: { retries: 0 } }, { kind: 'remote' }, env(t.store));
      assert.match(remote.error ?? '', /refused as suspect, previous data kept; if the list really shrank, raise the feed's options\.maxDropShare, or import the file with `verdict feeds import blocklist-de FILE --allow-drop`$/);
      assert.equal((await t.store.feedState('blocklist-de'))?.listedCount, 10);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});

/** A few kilobytes that look like nothing (a fixed seed: the same bytes every run). */
function noise(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const utf16 = (text: string, bom: boolean): Buffer => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);

describe('binary input', () => {
  const list = Array.from({ length: 50 }, (_, i) => `198.51.100.${i}`).join('\n') + '\n';
  const tar = Buffer.alloc(1024);
  tar.write('iocs.txt', 0);
  tar.write('ustar', 257);
  const cases: { name: string; bytes: Buffer; what: string; fix: RegExp }[] = [
    { name: 'an ELF executable', bytes: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), noise(600)]), what: 'an ELF executable', fix: /is it the right file\?/ },
    { name: 'xz-compressed data', bytes: Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), noise(600)]), what: 'xz-compressed data', fix: /unpack it first \(Verdict unpacks gzip, bzip2 and zip itself\)/ },
    { name: 'a 7-Zip archive', bytes: Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), noise(600)]), what: 'a 7-Zip archive', fix: /unpack it first/ },
    { name: 'zstd', bytes: Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), noise(600)]), what: 'zstd-compressed data', fix: /unpack it first/ },
    { name: 'a tar archive', bytes: Buffer.concat([tar, Buffer.from(list)]), what: 'a tar archive', fix: /unpack it and import the file inside/ },
    { name: 'a PDF report', bytes: Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), noise(600)]), what: 'a PDF document', fix: /`verdict extract FILE` reads the indicators in a document/ },
    { name: 'UTF-16 with a byte order mark', bytes: utf16(list, true), what: 'UTF-16 text', fix: /save it as UTF-8/ },
    { name: 'UTF-16 without one', bytes: utf16(list, false), what: 'UTF-16 text', fix: /save it as UTF-8/ },
    { name: 'random bytes', bytes: noise(5000), what: 'NUL and control bytes', fix: /is it the right file\?/ },
    { name: 'random bytes, gzipped (unpacked first)', bytes: gzipSync(noise(5000)), what: 'NUL and control bytes', fix: /is it the right file\?/ },
  ];
  for (const c of cases) {
    it(`${c.name} is refused as a binary file, saying what it is and what to do`, async () => {
      const t = await tempStore();
      try {
        const run = await runFeed(feed('blocklist-de'), { kind: 'file', path: write(`bin-${c.name.replace(/\W+/g, '-')}`, c.bytes) }, env(t.store));
        assert.equal(run.status, 'failure');
        assert.ok(run.error?.startsWith(`this is a binary file (${c.what}), not plain-list: `), run.error ?? '');
        assert.match(run.error ?? '', c.fix);
        assert.deepEqual([run.rejected, run.rejectedSamples], [0, []], 'no binary row is quoted back');
        assert.equal((await t.store.stats()).sightings, 0);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('text is not binary: a stray NUL in one row, terminal escapes, Latin-1 and UTF-8 letters', () => {
    const texts = [
      `${list}198.51.100.77\u0000\n`,
      `\u001b[31m198.51.100.1\u001b[0m\n${list}`,
      Buffer.from('# café liste\n198.51.100.1\n', 'latin1'),
      '# Ünïcödé ✓ 名前\n198.51.100.1\n',
      '{"ioc": "198.51.100.1", "tags": ["a\\u0000b"]}\n',
    ];
    for (const t of texts) assert.equal(binaryKind(Buffer.from(t)), null, JSON.stringify(String(t).slice(0, 40)));
  });

  it('the command shows no raw control byte, on the terminal or in the run record', async () => {
    const t = await tempStore();
    try {
      const cli: NodeJS.ProcessEnv = { ...process.env, VERDICT_DATABASE_URL: join(t.dir, 'cli.db'), VERDICT_LOG_LEVEL: 'error' };
      delete cli.VERDICT_FEEDS_FILE;
      const binary = write('payload.bin', Buffer.concat([Buffer.from('\u001b]0;owned\u0007\u001b[2J'), noise(3000)]));
      const refused = await runVerdict(['feeds', 'import', 'blocklist-de', binary], '', cli);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /binary file \(NUL and control bytes\)/);
      assert.doesNotMatch(refused.stdout + refused.stderr, RAW_CONTROL);
      // a text list with escape sequences in a few rows: refused rows are kept and shown escaped
      const rows = write('escapes.txt', `${list}\u001b[2Jevil\u0007\n\u009b31mred\n`);
      const ok = await runVerdict(['feeds', 'import', 'blocklist-de', rows], '', cli);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.doesNotMatch(ok.stdout + ok.stderr, RAW_CONTROL);
      assert.match(ok.stdout, /\\x1b\[2Jevil\\x07/);
      const json = await runVerdict(['feeds', 'list', '--json'], '', cli);
      const row = (JSON.parse(json.stdout) as { feeds: { id: string; health: { last_run: { rejected_samples: string[] } | null } }[] }).feeds.find((f) => f.id === 'blocklist-de');
      const samples = row?.health.last_run?.rejected_samples ?? [];
      assert.equal(samples.length, 2);
      for (const s of samples) assert.doesNotMatch(s, RAW_CONTROL, 'stored samples are escaped');
    } finally {
      await t.cleanup();
    }
  });
});

describe('JSON given to a line format', () => {
  const array = JSON.stringify([{ ip: '198.51.100.1' }, { ip: '198.51.100.2' }], null, 2);
  const cases: { name: string; format: string; content: string | Buffer; says: RegExp }[] = [
    { name: 'a JSON array (pretty-printed)', format: 'plain-list', content: array, says: /^this is a JSON array, not plain-list — set `recordsPath` or use the JSON mapping \(format jsonl-mapping/ },
    { name: 'a JSON array on one line', format: 'plain-list', content: '["198.51.100.1","198.51.100.2"]\n', says: /^this is a JSON array, not plain-list — set `recordsPath` or use the JSON mapping/ },
    { name: 'a gzipped JSON array', format: 'plain-list', content: gzipSync(array), says: /^this is a JSON array, not plain-list — set `recordsPath` or use the JSON mapping/ },
    { name: 'a JSON document holding the array', format: 'plain-list', content: JSON.stringify({ data: { items: [{ ip: '198.51.100.1' }] } }, null, 2), says: /^this is a JSON document, not plain-list — use the JSON mapping \(format jsonl-mapping\) and set `recordsPath` to the array that holds the records/ },
    { name: 'JSON lines', format: 'plain-list', content: '{"ip":"198.51.100.1"}\n{"ip":"198.51.100.2"}\n', says: /^this is JSON lines, not plain-list — use the JSON mapping \(format jsonl-mapping\)/ },
    { name: 'a JSON array to a CSV mapping', format: 'csv-mapping', content: array, says: /^this is a JSON array, not csv-mapping — set `recordsPath` or use the JSON mapping/ },
  ];
  for (const c of cases) {
    it(`${c.name}: refused, naming the JSON mapping`, async () => {
      const t = await tempStore();
      try {
        const def = c.format === 'csv-mapping' ? feed('internal-denylist') : feed('et-compromised');
        const path = write(`json-${c.name.replace(/\W+/g, '-')}`, c.content);
        const run = await runFeed(def, { kind: 'file', path }, env(t.store));
        assert.equal(run.status, 'failure');
        assert.match(run.error ?? '', c.says);
        assert.match(run.error ?? '', /\. 0 of \d+ rows are /, 'then what the rows were');
        const dry = await previewFeed(def, path, env(t.store));
        assert.equal(dry.refused, run.error);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('says nothing of JSON when the refused file is not JSON', async () => {
    const t = await tempStore();
    try {
      const run = await runFeed(feed('et-compromised'), { kind: 'file', path: fixture('drop.txt') }, env(t.store));
      assert.match(run.error ?? '', /^0 of 1,385 rows are IPv4 addresses; .*this looks like a CIDR list — is the feed id right\?/);
      assert.doesNotMatch(run.error ?? '', /JSON/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('a MISP manifest alone', () => {
  const manifest = fixture('misp-feed-handmade/manifest.json');
  it('manifest.json without its events, a manifest under another name, and a folder without events: "pass the folder"', async () => {
    const t = await tempStore();
    try {
      const lonely = join(dir, 'lonely');
      mkdirSync(lonely);
      copyFileSync(manifest, join(lonely, 'manifest.json'));
      const renamed = write('circl-manifest.json', readFileSync(manifest));
      const cases: [string, RegExp][] = [
        [join(lonely, 'manifest.json'), /manifest\.json is a MISP feed's manifest, and none of the event files it lists is beside it: pass the folder of the MISP feed/],
        [renamed, /^MISP: this is a MISP feed's manifest\.json, which lists events and holds none: pass the folder of the feed/],
        [lonely, /lonely holds no MISP event files: pass the folder of the MISP feed, with manifest\.json and its <uuid>\.json event files$/],
      ];
      for (const [path, says] of cases) {
        const run = await runFeed(feed('circl-osint'), { kind: 'file', path }, env(t.store));
        assert.equal(run.status, 'failure', path);
        assert.match(run.error ?? '', says);
      }
      // the folder itself, and its manifest.json with the events beside it, are read whole
      const whole = await runFeed(feed('circl-osint'), { kind: 'file', path: fixture('misp-feed-handmade') }, env(t.store));
      assert.equal(whole.status, 'success', whole.error ?? '');
    } finally {
      await t.cleanup();
    }
  });
});

describe('the SQLite write-ahead log after a refused large import', () => {
  it('is left small: the pages the run spilled are not kept', async () => {
    const path = join(mkdtempSync(join(dir, 'wal-')), 'verdict.db');
    // a small page cache makes a 300,000-row run spill to the WAL as a multi-million-row one does
    // with the default 64 MiB
    const store = await openSqliteStore(path, { writeCacheKiB: 2048 });
    try {
      const def = feed('blocklist-de');
      assert.equal((await runFeed(def, { kind: 'file', path: write('small.txt', '192.0.2.1\n192.0.2.2\n') }, env(store))).status, 'success');
      const big: string[] = [];
      for (let i = 0; i < 300_000; i++) big.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      // 300,000 new rows that delist both of the feed's: refused as suspect at the end
      const run = await runFeed(def, { kind: 'file', path: write('big.txt', big.join('\n')) }, { ...env(store), parseThreadMinBytes: Number.POSITIVE_INFINITY });
      assert.match(run.error ?? '', /refused as suspect.*--allow-drop/);
      const wal = statSync(`${path}-wal`).size;
      assert.ok(wal < 1024 * 1024, `the WAL is ${wal} bytes after the refused run`);
      assert.equal((await store.stats()).sightings, 2, 'and the data is as it was');
    } finally {
      await store.close();
    }
  });
});
