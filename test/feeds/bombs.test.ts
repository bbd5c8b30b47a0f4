/**
 * Decompression bombs, built here and served from a loopback HTTP server: gzip, bzip2 and zip
 * files of a few kilobytes that unpack to a gigabyte, and JSON documents far larger than a feed's
 * cap. Each run must fail with an error naming the cap that stopped it, leave the feed's data as
 * it was, and keep the process's memory bounded while it reads.
 *
 * The bombs are made small on disk by repetition: concatenated gzip members (and bzip2 streams)
 * are one valid file, and a raw deflate stream flushed to a byte boundary can be repeated too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { fetch } from 'undici';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Memory a run may add to the process while it reads a bomb (the parse thread, when used, included). */
const RSS_BOUND = 200 * MiB;

/** `total` bytes of `byte`, as concatenated gzip members of 4 MiB each, after `head`. */
function gzipBomb(head: string, byte: number, total: number): Buffer {
  const member = gzipSync(Buffer.alloc(4 * MiB, byte), { level: 9 });
  const parts = head === '' ? [] : [gzipSync(head)];
  for (let n = 0; n < total; n += 4 * MiB) parts.push(member);
  return Buffer.concat(parts);
}

const hasBzip2 = spawnSync('bzip2', ['--help'], { stdio: 'ignore' }).error === undefined;

/** bzip2 by the system's `bzip2`: the decoder is checked against the reference encoder. */
function bzip2(data: Buffer): Buffer {
  const r = spawnSync('bzip2', ['-c', '-9'], { input: data, maxBuffer: 256 * MiB });
  if (r.status !== 0) throw new Error(`bzip2 failed: ${r.stderr}`);
  return r.stdout;
}

/** `total` bytes of `byte` as concatenated bzip2 streams of 4 MiB each (pbzip2 writes files like this). */
function bzip2Bomb(byte: number, total: number): Buffer {
  const stream = bzip2(Buffer.alloc(4 * MiB, byte));
  const parts: Buffer[] = [];
  for (let n = 0; n < total; n += 4 * MiB) parts.push(stream);
  return Buffer.concat(parts);
}

/**
 * A zip whose one member unpacks to `total` bytes of `byte` while its headers declare 100 bytes
 * (and a wrong CRC): what an archive says about its members is not to be trusted.
 */
function zipBomb(byte: number, total: number): Buffer {
  // a raw deflate stream of 4 MiB flushed to a byte boundary, repeated, then a final empty block
  const piece = deflateRawSync(Buffer.alloc(4 * MiB, byte), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const pieces: Buffer[] = [];
  for (let n = 0; n < total; n += 4 * MiB) pieces.push(piece);
  pieces.push(deflateRawSync(Buffer.alloc(0)));
  const data = Buffer.concat(pieces);
  const name = Buffer.from('list.txt');
  const declared = 100;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0, 6); // flags: sizes in this header
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(0, 10); // time, date
  local.writeUInt32LE(crc32('not the data'), 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(0, 12);
  central.writeUInt32LE(crc32('not the data'), 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42); // offset of the local header
  const cdOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/** Runs `fn`, sampling the process's RSS every few milliseconds: how far above the start it went. */
async function rssGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  try {
    const value = await fn();
    return { value, growth: Math.max(peak, process.memoryUsage.rss()) - start };
  } finally {
    clearInterval(timer);
  }
}

let server: TestServer;
let store: Store;
let dir: string;
let cleanup: () => Promise<void>;
/** What the server sends at /feed (and its content type). */
let served: Buffer = Buffer.alloc(0);
let clockMs = Date.parse('2026-11-30T12:00:00Z');

const GOOD_LIST = '192.0.2.1\n192.0.2.2\n198.51.100.3\n';

function listFeed(id: string, options: Record<string, unknown> = {}): FeedDefinition {
  return {
    id, name: id, category: 'community', reliability: 'C', format: 'plain-list', url: `${server.url}/feed`, interval: 3600,
    mode: 'snapshot', enabled: true, license: 'test', options: { type: 'ipv4', threatType: 'scanner', retries: 0, ...options },
  };
}

function env(extra: Partial<RunEnv> = {}): RunEnv {
  return {
    store, logger: quietLogger, clock: () => new Date((clockMs += 60_000)), fetch, sleep: async () => {},
    // the bombs are small on disk: parsed on this thread unless a test asks for the parse thread
    parseThreadMinBytes: Number.POSITIVE_INFINITY,
    fetchSettings: { timeoutMs: 30_000, maxBytes: 50 * MiB, retries: 0, backoffMs: 0 },
    ...extra,
  };
}

async function observe(feedId: string): Promise<unknown> {
  const state = await store.feedState(feedId);
  return { listed: state?.listedCount, total: state?.totalCount, lastSuccess: state?.lastSuccessAt, one: await store.sightingsOf('ipv4', '192.0.2.1') };
}

/**
 * Given a feed that holds the good list, when it serves `bomb`, then the run fails with `error`,
 * the process's memory grew by less than RSS_BOUND, and the feed's data is as it was.
 */
async function expectRefused(def: FeedDefinition, bomb: Buffer, error: RegExp, extra: Partial<RunEnv> = {}): Promise<void> {
  served = Buffer.from(GOOD_LIST);
  const good = await runFeed(def, { kind: 'remote' }, env(extra));
  assert.equal(good.status, 'success', good.error ?? '');
  const before = await observe(def.id);
  served = bomb;
  const { value: run, growth } = await rssGrowth(() => runFeed(def, { kind: 'remote' }, env(extra)));
  assert.equal(run.status, 'failure');
  assert.match(run.error ?? '', error);
  if (process.env['VERDICT_TEST_SHOW_RSS']) console.log(def.id, Math.round(growth / MiB), 'MiB');
  assert.ok(growth < RSS_BOUND, `memory grew by ${Math.round(growth / MiB)} MiB while reading a ${bomb.length}-byte bomb`);
  assert.deepEqual(await observe(def.id), before, "the feed's data is as it was");
  const last = (await store.feedState(def.id))?.lastRun;
  assert.equal(last?.status, 'failure');
  assert.match(last?.error ?? '', error, 'the run record says which cap stopped it');
}

before(async () => {
  server = await startServer();
  server.route('/feed', (_req, res) => res.end(served));
  ({ store, dir, cleanup } = await tempStore());
});

after(async () => {
  await cleanup();
  await server.close();
});

const CAP_8_MIB = /unpacks to more than 8 MiB \(8388608 bytes\), the feed's cap on unpacked bytes \(options\.maxDecompressedBytes\)/;

describe('gzip', () => {
  test('1 GiB of one letter without a line break, default options: refused at the first over-long line', async () => {
    const bomb = gzipBomb('', 0x61, GiB);
    assert.ok(bomb.length < 2 * MiB);
    await expectRefused(listFeed('gzip-letters'), bomb, /a line is longer than 1048576 characters/);
  });

  test('1 GiB of zeros: refused at once as a binary file', async () => {
    await expectRefused(listFeed('gzip-zeros'), gzipBomb('', 0, GiB), /^this is a binary file \(NUL and control bytes\), not plain-list/);
  });

  test('1 GiB of line breaks: refused at the cap on unpacked bytes', async () => {
    await expectRefused(listFeed('gzip-lines', { maxDecompressedBytes: 8 * MiB }), gzipBomb('', 0x0a, GiB), CAP_8_MIB);
  });

  test('a gzip under the cap goes in as before', async () => {
    served = gzipSync(GOOD_LIST);
    const run = await runFeed(listFeed('gzip-good', { maxDecompressedBytes: 1024 }), { kind: 'remote' }, env());
    assert.equal(run.status, 'success', run.error ?? '');
    assert.equal(run.result?.added, 3);
  });
});

describe('bzip2', { skip: hasBzip2 ? false : 'no bzip2 command to make the samples' }, () => {
  test('a bzip2 list is read like the same list uncompressed (detected by its "BZh" magic, not its name)', async () => {
    const text = readFileSync(fixture('et-compromised-ips.txt'));
    served = text;
    const plain = await runFeed(listFeed('bz-plain'), { kind: 'remote' }, env());
    served = bzip2(text);
    const packed = await runFeed(listFeed('bz-packed'), { kind: 'remote' }, env());
    assert.equal(packed.status, 'success', packed.error ?? '');
    assert.deepEqual(packed.result, plain.result);
    assert.ok((packed.result?.added ?? 0) > 100);
  });

  test('an import of a local .bz2 file, parsed on the parse thread', async () => {
    const path = join(dir, 'list.bz2');
    writeFileSync(path, bzip2(Buffer.from(GOOD_LIST.repeat(3))));
    const run = await runFeed(listFeed('bz-file'), { kind: 'file', path }, env({ parseThreadMinBytes: 0 }));
    assert.equal(run.status, 'success', run.error ?? '');
    assert.deepEqual([run.result?.received, run.result?.added], [9, 3]);
  });

  test('1 GiB of line breaks in 256 concatenated streams: refused at the cap', async () => {
    const bomb = bzip2Bomb(0x0a, GiB);
    assert.ok(bomb.length < 64 * 1024);
    await expectRefused(listFeed('bz-lines', { maxDecompressedBytes: 8 * MiB }), bomb, CAP_8_MIB);
  });

  test('one stream whose blocks unpack to ~46 MB each, on the parse thread: refused at the cap', async () => {
    const bomb = bzip2(Buffer.alloc(64 * MiB, 0x0a));
    await expectRefused(listFeed('bz-blocks', { maxDecompressedBytes: 8 * MiB }), bomb, CAP_8_MIB, { parseThreadMinBytes: 0 });
  });

  test('1 GiB of one letter without a line break, default options: refused at the first over-long line', async () => {
    await expectRefused(listFeed('bz-letters'), bzip2Bomb(0x61, GiB), /a line is longer than 1048576 characters/);
  });

  test('a corrupt or truncated bzip2 file fails the run saying so', async () => {
    const good = bzip2(Buffer.from(GOOD_LIST.repeat(1000)));
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 20] = (corrupt[corrupt.length - 20] as number) ^ 0xff;
    for (const [bytes, error] of [[corrupt, /unpacking the bzip2 body failed: bzip2 data is corrupt/], [good.subarray(0, good.length - 30), /unpacking the bzip2 body failed: bzip2 data ends early/]] as const) {
      served = bytes;
      const run = await runFeed(listFeed('bz-broken'), { kind: 'remote' }, env());
      assert.equal(run.status, 'failure');
      assert.match(run.error ?? '', error);
    }
  });
});

describe('zip', () => {
  test("1 GiB of line breaks in a member that declares 100 bytes: what comes out is counted, not what the header says", async () => {
    const bomb = zipBomb(0x0a, GiB);
    assert.ok(bomb.length < 2 * MiB);
    await expectRefused(listFeed('zip-lines', { maxDecompressedBytes: 8 * MiB }), bomb, /the zip body unpacks to more than 8 MiB \(8388608 bytes\)/);
  });

  test('1 GiB of one letter in a member that declares 100 bytes, default options: refused at the first over-long line', async () => {
    await expectRefused(listFeed('zip-letters'), zipBomb(0x61, GiB), /a line is longer than 1048576 characters/);
  });
});

describe('JSON documents', () => {
  const kev = (id: string, options: Record<string, unknown> = {}): FeedDefinition => ({
    id, name: id, category: 'government', reliability: 'A', format: 'cisa-kev', url: `${server.url}/feed`, interval: 3600,
    mode: 'incremental', enabled: true, license: 'test', options: { retries: 0, ...options },
  });
  const KEV_OK = JSON.stringify({ catalogVersion: '1', dateReleased: '2026-01-01T00:00:00Z', vulnerabilities: [{ cveID: 'CVE-2021-44228', dateAdded: '2021-12-10' }] });

  test('a gzip of a 1 GiB JSON string, default options: refused at 64 MiB, before parsing', async () => {
    served = gzipSync(KEV_OK);
    assert.equal((await runFeed(kev('kev-bomb'), { kind: 'remote' }, env())).status, 'success');
    const before = await store.sightingsOf('cve', 'CVE-2021-44228');
    served = gzipBomb('{"vulnerabilities":[{"cveID":"', 0x41, GiB);
    const { value: run, growth } = await rssGrowth(() => runFeed(kev('kev-bomb'), { kind: 'remote' }, env()));
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /CISA KEV: the JSON document is larger than 64 MiB \(67108864 bytes\), the feed's cap on one JSON document \(options\.maxJsonBytes\)/);
    assert.ok(growth < 2 * 64 * MiB + RSS_BOUND, `memory grew by ${Math.round(growth / MiB)} MiB`);
    assert.deepEqual(await store.sightingsOf('cve', 'CVE-2021-44228'), before);
  });

  test('options.maxJsonBytes lowers the cap (and raising it lets a larger document in)', async () => {
    served = Buffer.from(KEV_OK);
    const small = await runFeed(kev('kev-small', { maxJsonBytes: 64 }), { kind: 'remote' }, env());
    assert.equal(small.status, 'failure');
    assert.match(small.error ?? '', /larger than 64 bytes, the feed's cap on one JSON document \(options\.maxJsonBytes\)/);
    const enough = await runFeed(kev('kev-enough', { maxJsonBytes: KEV_OK.length }), { kind: 'remote' }, env());
    assert.equal(enough.status, 'success', enough.error ?? '');
  });

  test('a MISP event over the cap stops its transfer there and fails the run; the cursor stays', async () => {
    const ev = '5f1a2b3c-0000-4000-8000-00000000000b';
    const manifest = { [ev]: { info: 'big', timestamp: 1_700_000_000 } };
    server.route('/misp/manifest.json', (_req, res) => res.end(JSON.stringify(manifest)));
    let sent = 0;
    server.route(`/misp/${ev}.json`, (_req, res) => {
      // an endless event: the server writes until the client hangs up
      res.write('{"Event":{"info":"');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (!res.destroyed && sent < 64 * MiB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}}');
      };
      pump();
    });
    const def: FeedDefinition = {
      id: 'misp-big', name: 'misp', category: 'government', reliability: 'B', format: 'misp-feed', url: `${server.url}/misp/`, interval: 3600,
      mode: 'incremental', enabled: true, license: 'test', options: { retries: 0, maxJsonBytes: MiB },
    };
    const run = await runFeed(def, { kind: 'remote' }, env());
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /size cap of 1 MiB \(1048576 bytes\) set by options\.maxJsonBytes for one JSON document/);
    assert.ok(sent < 16 * MiB, `the transfer stopped near the cap (${sent} bytes sent)`);
    assert.equal(run.cursor ?? null, null, 'a failed run does not move the cursor');
  });

  test('a TAXII page over the cap fails the run naming it', async () => {
    server.route('/taxii/collections/c1/objects/', (_req, res) => {
      res.setHeader('content-type', 'application/taxii+json;version=2.1');
      res.end(JSON.stringify({ more: false, objects: Array.from({ length: 200 }, (_, i) => ({ type: 'indicator', id: `indicator--${i}`, pattern: "[ipv4-addr:value = '192.0.2.9']" })) }));
    });
    const def: FeedDefinition = {
      id: 'taxii-big', name: 'taxii', category: 'government', reliability: 'C', format: 'taxii21', url: `${server.url}/taxii/`, interval: 3600,
      mode: 'incremental', enabled: true, license: 'test', options: { retries: 0, collectionId: 'c1', maxJsonBytes: 4096 },
    };
    const run = await runFeed(def, { kind: 'remote' }, env());
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /size cap of 4 KiB \(4096 bytes\) set by options\.maxJsonBytes for one JSON document/);
  });
});
