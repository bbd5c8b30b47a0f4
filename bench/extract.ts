/**
 * Extraction benchmark: Verdict's extractor against ioc-extractor on the labelled corpus
 * (test/fixtures/corpus), in the same run.
 *   1. throughput (MB/s) of both on the corpus concatenated to a few MB, and the ratio;
 *   2. precision and recall of both per type on the corpus, and of Verdict's roles (reference vs indicator);
 *   3. single-value detect + normalize cost (parseIndicator), ns per value;
 *   4. whole processes (bench/documents.ts): `verdict extract FILE` (the built command) on a 10 MB
 *      text vs ioc-extractor's own command, start-up included; a 30-page PDF report; peak RSS on
 *      50 MB files (`-- --no-memory` skips these).
 * ioc-extractor's output is put through Verdict's normalize() before scoring, so differences in
 * canonical form (ports, case, punycode) are not counted against it.
 * Times are CPU time of this process, best of interleaved runs: steadier than wall time when
 * the machine is shared, and the same clock for both extractors.
 * Usage: npm run bench:extract
 */
import { extractIOC, partialExtractIOC, type IOC, type IOCKey } from 'ioc-extractor';
import { extract, normalize, parseIndicator, STORED_TYPES, type StoredType } from '../src/indicators/index.ts';
import { loadCorpus, precision, recall, score, scoreRoles, type Counts } from '../test/indicators/corpus.ts';
import { runDocumentBench } from './documents.ts';

const TARGET_BYTES = 3 * 1024 * 1024;
const ROUNDS = 5;
/** ioc-extractor keys for the types both extractors support. */
const IOC_KEYS: Partial<Record<StoredType, IOCKey>> = {
  ipv4: 'ipv4s',
  ipv6: 'ipv6s',
  domain: 'domains',
  url: 'urls',
  md5: 'md5s',
  sha1: 'sha1s',
  sha256: 'sha256s',
  sha512: 'sha512s',
  cve: 'cves',
  email: 'emails',
};
const SHARED = new Set(Object.keys(IOC_KEYS) as StoredType[]);
// punycode: false because ioc-extractor's punycode step (punycode.toASCII on the whole text)
// keeps only what lies before the second "@", silently dropping the rest of a text; its Unicode
// domains are converted by Verdict's normalize() when scored instead.
const IOC_OPTIONS = { strict: true, refang: true, punycode: false, sort: false };

function iocPairs(result: Partial<IOC>): Set<string> {
  const out = new Set<string>();
  for (const [type, key] of Object.entries(IOC_KEYS) as [StoredType, IOCKey][]) {
    for (const raw of result[key] ?? []) {
      const n = normalize(type, raw);
      out.add(`${type} ${n.ok ? n.value : raw}`);
    }
  }
  return out;
}
const verdictPairs = (text: string): Set<string> => new Set(extract(text).map((x) => `${x.type} ${x.value}`));

/** CPU milliseconds of this process for one call (steadier than wall time on a shared machine). */
function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

/**
 * Best-of-ROUNDS throughput of each contender, runs interleaved so that both see the same machine
 * conditions. Every run gets a fresh string so no engine-level cache can answer from a previous run.
 */
function race(label: string, text: string, contenders: Record<string, (s: string) => unknown>): Record<string, number> {
  const best: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const fresh = `${round}${name.length} ${text}`;
      fresh.charCodeAt(fresh.length >> 1); // flatten before timing
      best[name] = Math.min(best[name] ?? Infinity, cpuMs(() => fn(fresh)));
    }
  }
  const bytes = Buffer.byteLength(text);
  const mbps: Record<string, number> = {};
  console.log(`  ${label} (${(bytes / 1e6).toFixed(1)} MB):`);
  for (const [name, ms] of Object.entries(best)) {
    mbps[name] = bytes / 1e6 / (ms / 1000);
    console.log(`    ${name.padEnd(48)} ${mbps[name]!.toFixed(1).padStart(7)} MB/s`);
  }
  return mbps;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const cell = (c: Counts, supported: boolean): string =>
  supported ? `${pct(precision(c)).padStart(6)} ${pct(recall(c)).padStart(6)}` : '     n/a      ';

// ---- 1. throughput ------------------------------------------------------------------------
const docs = loadCorpus();
const corpusText = docs.map((d) => d.text).join('\n\n');
const copies = Math.ceil(TARGET_BYTES / Buffer.byteLength(corpusText));
const repeated = corpusText.repeat(copies);
// Every copy with its digits rotated: addresses, hashes and ids differ from copy to copy, so
// per-call memoization of repeated candidates does not help Verdict here.
const varied = Array.from({ length: copies }, (_, k) => corpusText.replace(/\d/g, (d) => String((Number(d) + k) % 10))).join('\n\n');
const contenders = {
  'Verdict extract (refang, parts, all types)': (t: string) => extract(t),
  'ioc-extractor extractIOC (all its types)': (t: string) => extractIOC(t, IOC_OPTIONS),
  'ioc-extractor partialExtractIOC (shared types)': (t: string) => partialExtractIOC(t, Object.values(IOC_KEYS), IOC_OPTIONS),
};
console.log(`Throughput (CPU time, best of ${ROUNDS} interleaved runs) on the corpus of ${docs.length} documents:`);
for (const [label, text] of [['repeated', repeated], ['repeated, digits varied per copy', varied]] as const) {
  const r = race(label, text, contenders);
  const verdict = r['Verdict extract (refang, parts, all types)'] as number;
  const baseline = Math.max(r['ioc-extractor extractIOC (all its types)'] as number, r['ioc-extractor partialExtractIOC (shared types)'] as number);
  console.log(`    ratio Verdict / ioc-extractor (its faster mode): ${(verdict / baseline).toFixed(2)}x`);
}

// ---- 2. precision / recall ----------------------------------------------------------------
const v = score(docs, verdictPairs).score;
const vShared = score(docs, verdictPairs, SHARED).score;
const i = score(docs, (text) => iocPairs(extractIOC(text, IOC_OPTIONS)), SHARED).score;
console.log('\nPrecision / recall on the labelled corpus:');
console.log(`  ${'type'.padEnd(14)} ${'labels'.padStart(6)}   ${'Verdict P      R'.padEnd(16)}   ioc-extractor P  R`);
for (const t of STORED_TYPES) {
  const labels = v[t].tp + v[t].fn;
  console.log(`  ${t.padEnd(14)} ${String(labels).padStart(6)}   ${cell(v[t], true)}   ${cell(i[t], SHARED.has(t))}`);
}
console.log(`  ${'shared types'.padEnd(14)} ${String(vShared.all.tp + vShared.all.fn).padStart(6)}   ${cell(vShared.all, true)}   ${cell(i.all, true)}`);
console.log(`  ${'all types'.padEnd(14)} ${String(v.all.tp + v.all.fn).padStart(6)}   ${cell(v.all, true)}`);
const roles = scoreRoles(docs, (text) => extract(text)).counts;
const references = docs.reduce((n, d) => n + d.references.size, 0);
console.log(`  ${'references'.padEnd(14)} ${String(references).padStart(6)}   ${cell(roles, true)}   (role 'reference' against the labelled roles)`);

// ---- 3. single-value detect + normalize ---------------------------------------------------
const VALUES = [
  '185.220.101.5', '2001:db8::1', 'evil-domain.com', 'hxxps://evil[.]com/a?b=1', '44d88612fea8a8f36de82e1278abb02f',
  'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'CVE-2021-44228', 'T1059.001', 'bob@example.com', 'evil[.]com', 'login.bücher.de', '999.1.1.1',
];
const N = 200_000;
for (let k = 0; k < 20_000; k++) parseIndicator(VALUES[k % VALUES.length] as string);
let ns = Infinity;
for (let round = 0; round < 3; round++) {
  const ms = cpuMs(() => {
    for (let k = 0; k < N; k++) parseIndicator(VALUES[k % VALUES.length] as string);
  });
  ns = Math.min(ns, (ms * 1e6) / N);
}
console.log(`\nSingle value detect + normalize (parseIndicator, ${VALUES.length} mixed values): ${ns.toFixed(0)} ns/value`);

// ---- 4. whole processes: the built command on a 10 MB text, a 30-page PDF, 50 MB files -----
await runDocumentBench({ memory: !process.argv.includes('--no-memory') });
