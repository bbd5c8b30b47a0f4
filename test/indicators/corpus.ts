/**
 * The labelled corpus (test/fixtures/corpus) and precision/recall scoring, shared by the
 * corpus test and bench/extract.ts. A document's indicators are compared as a set of distinct
 * `type value` pairs in canonical form.
 */
import { readFileSync } from 'node:fs';
import { STORED_TYPES, type ExtractedIndicator, type IndicatorRole, type StoredType } from '../../src/indicators/index.ts';

export interface CorpusDocument {
  name: string;
  text: string;
  labels: Set<string>;
  /** The `type value` pairs labelled as references (links the text cites); every other label is an indicator. */
  references: Set<string>;
}

const CORPUS_DIR = new URL('../fixtures/corpus/', import.meta.url);

export function loadCorpus(): CorpusDocument[] {
  const labels = JSON.parse(readFileSync(new URL('labels.json', CORPUS_DIR), 'utf8')) as Record<string, { type: StoredType; value: string; role?: IndicatorRole }[]>;
  return Object.entries(labels).map(([name, items]) => ({
    name,
    text: readFileSync(new URL(name, CORPUS_DIR), 'utf8'),
    labels: new Set(items.map((i) => `${i.type} ${i.value}`)),
    references: new Set(items.filter((i) => i.role === 'reference').map((i) => `${i.type} ${i.value}`)),
  }));
}

/**
 * The corpus over and over, its digits rotated per copy (addresses and ids vary from copy to
 * copy), to about `bytes` bytes of UTF-8: a long mixed-script text for the benchmarks and for tests
 * of long documents.
 */
export function corpusText(bytes: number): string {
  const text = loadCorpus().map((d) => d.text).join('\n\n');
  const copies: string[] = [];
  let size = 0;
  for (let k = 0; size < bytes; k++) {
    const copy = text.replace(/\d/g, (d) => String((Number(d) + k) % 10));
    copies.push(copy);
    size += Buffer.byteLength(copy) + 2;
  }
  return copies.join('\n\n');
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}
export type Score = Record<StoredType, Counts> & { all: Counts };

export function emptyScore(): Score {
  const s = { all: { tp: 0, fp: 0, fn: 0 } } as Score;
  for (const t of STORED_TYPES) s[t] = { tp: 0, fp: 0, fn: 0 };
  return s;
}

const typeOf = (key: string): StoredType => key.slice(0, key.indexOf(' ')) as StoredType;

/**
 * Scores found pairs against labels. With `onlyTypes`, labels and findings of other types are
 * ignored (for an extractor that does not support every type).
 */
export function score(docs: CorpusDocument[], find: (text: string) => Set<string>, onlyTypes?: ReadonlySet<StoredType>): { score: Score; misses: string[] } {
  const s = emptyScore();
  const misses: string[] = [];
  const counted = (k: string): boolean => !onlyTypes || onlyTypes.has(typeOf(k));
  for (const doc of docs) {
    const found = find(doc.text);
    for (const k of found) {
      if (!counted(k)) continue;
      const hit = doc.labels.has(k);
      s[typeOf(k)][hit ? 'tp' : 'fp']++;
      s.all[hit ? 'tp' : 'fp']++;
      if (!hit) misses.push(`${doc.name}: false positive ${k}`);
    }
    for (const k of doc.labels) {
      if (!counted(k) || found.has(k)) continue;
      s[typeOf(k)].fn++;
      s.all.fn++;
      misses.push(`${doc.name}: missed ${k}`);
    }
  }
  return { score: s, misses };
}

export const precision = (c: Counts): number => (c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp));
export const recall = (c: Counts): number => (c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn));

/**
 * Scores the roles given to labelled indicators, with `reference` as the positive class: a
 * labelled pair is read as a reference when every occurrence of it was given that role (mixed
 * roles count as wrong either way). Pairs not extracted at all are left to score().
 */
export function scoreRoles(docs: CorpusDocument[], find: (text: string) => ExtractedIndicator[]): { counts: Counts; misses: string[] } {
  const counts: Counts = { tp: 0, fp: 0, fn: 0 };
  const misses: string[] = [];
  for (const doc of docs) {
    const roles = new Map<string, Set<IndicatorRole>>();
    for (const x of find(doc.text)) {
      const k = `${x.type} ${x.value}`;
      const set = roles.get(k) ?? new Set<IndicatorRole>();
      set.add(x.role);
      roles.set(k, set);
    }
    for (const k of doc.labels) {
      const got = roles.get(k);
      if (got === undefined) continue;
      const reference = got.size === 1 && got.has('reference');
      const indicator = got.size === 1 && got.has('indicator');
      if (doc.references.has(k)) {
        if (reference) counts.tp++;
        else {
          counts.fn++;
          misses.push(`${doc.name}: ${k} read as ${[...got].join('+')}, labelled reference`);
        }
      } else if (!indicator) {
        counts.fp++;
        misses.push(`${doc.name}: ${k} read as ${[...got].join('+')}, labelled indicator`);
      }
    }
  }
  return { counts, misses };
}
