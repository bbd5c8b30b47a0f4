/**
 * The catalogue's rows as the text GET /api/v1/iocs sends: CSV (the documented header), NDJSON,
 * plain values (txt) and the JSON list's items, written from the store's tuples without an object
 * per row, and gathered into chunks of about CHUNK_CHARS for the reply stream.
 *
 * The CSV is byte for byte what csv-stringify (6.9, `escape_formulas: true`) wrote before: a cell
 * holding `"`, `,`, `\n` or `\r` is quoted with its quotes doubled; a cell starting with `=`, `+`,
 * `-`, `@`, a tab, `\r` or their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20) gets a `'`
 * first (the score, a number, never does); an empty cell is empty. Written here because, in the
 * profile of a whole-catalogue export, csv-stringify's per-cell casting and option checks were a
 * share of the time comparable to reading the rows (test/catalogue/formats.test.ts holds the two
 * to the same output).
 */
import { CONFIDENCE_LEVELS, RISK_LEVELS } from '../model.ts';
import { T, listOf, num, tupleEntry, type CatalogueTuple } from '../store/catalogue.ts';
import type { CatalogueEntry } from '../store/types.ts';

/** The CSV header of format=csv (docs/api.md). */
export const CSV_COLUMNS = ['type', 'value', 'level', 'score', 'confidence', 'first_seen', 'last_seen', 'listed', 'feeds', 'categories', 'threat_types', 'malware_families', 'techniques', 'cves'] as const;
export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\n`;

/** Characters per chunk handed to the reply stream. */
export const CHUNK_CHARS = 64 * 1024;

const QUOTED = /[",\n\r]/;

function formula(c: number): boolean {
  // = + - @ tab CR, and the full-width = + - @
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13 || c === 0xff1d || c === 0xff0b || c === 0xff0d || c === 0xff20;
}

/** One CSV cell of a text, as csv-stringify writes it with escape_formulas. */
export function csvCell(s: string): string {
  if (s === '') return '';
  const f = formula(s.charCodeAt(0));
  const q = QUOTED.test(s);
  if (!f && !q) return s;
  const v = f ? `'${s}` : s;
  return q ? `"${v.replaceAll('"', '""')}"` : v;
}

/** A JSON list column's items joined by spaces (most lists are plain: no parse for them). */
function spaced(json: string): string {
  if (json === '[]' || json === '') return '';
  // JSON.stringify of strings without a quote, backslash or control character: ["a","b"]
  if (!json.includes('\\')) return json.slice(2, -2).replaceAll('","', ' ');
  return listOf(json).join(' ');
}

/** Epoch ms as RFC 3339, remembering the last one (rows come sorted by last_seen: neighbours share it). */
function isoTimes(): (v: number | string) => string {
  let lastIn: number | string = Number.NaN;
  let lastOut = '';
  return (v) => {
    if (v !== lastIn) {
      lastIn = v;
      lastOut = new Date(num(v)).toISOString();
    }
    return lastOut;
  };
}

export type TupleWriter = (t: CatalogueTuple) => string;

/** CSV lines (without the header), one writer per response (it remembers recent dates). */
export function csvWriter(): TupleWriter {
  const first = isoTimes();
  const last = isoTimes();
  return (t) =>
    csvCell(t[T.type]) + ',' + csvCell(t[T.value]) + ',' + (RISK_LEVELS[num(t[T.level])] ?? 'low') + ',' + String(num(t[T.score])) + ',' +
    (CONFIDENCE_LEVELS[num(t[T.confidence])] ?? 'low') + ',' + first(t[T.firstSeen]) + ',' + last(t[T.lastSeen]) + ',' +
    (num(t[T.listed]) === 1 ? 'true' : 'false') + ',' + csvCell(spaced(t[T.feeds])) + ',' + csvCell(spaced(t[T.categories])) + ',' +
    csvCell(spaced(t[T.threatTypes])) + ',' + csvCell(spaced(t[T.families])) + ',' + csvCell(spaced(t[T.techniques])) + ',' + csvCell(spaced(t[T.cves])) + '\n';
}

/** An entry as the list routes show it. */
export const toIoc = (e: CatalogueEntry) => ({
  type: e.type,
  value: e.value,
  risk_score: e.level,
  score: e.score,
  confidence: e.confidence,
  first_seen: e.firstSeen,
  last_seen: e.lastSeen,
  listed: e.listed,
  feeds: e.feeds,
  categories: e.categories,
  threat_types: e.threatTypes,
  malware_families: e.families,
  mitre_techniques: e.techniques,
  cves: e.cves,
  computed_at: e.computedAt,
});

/** One NDJSON line per tuple. */
export const ndjsonLine: TupleWriter = (t) => `${JSON.stringify(toIoc(tupleEntry(t)))}\n`;
/** One value per line (block lists). */
export const txtLine: TupleWriter = (t) => `${t[T.value]}\n`;

/**
 * The text of `batches` written by `line`, as chunks of about CHUNK_CHARS: `head` first, `tail()`
 * after the last row (it may depend on what was written), `sep` between rows.
 */
export async function* chunked(batches: AsyncIterable<CatalogueTuple[]>, line: TupleWriter, opts: { head?: string; tail?: () => string; sep?: string } = {}): AsyncGenerator<string> {
  let buf = opts.head ?? '';
  const sep = opts.sep ?? '';
  let first = true;
  for await (const rows of batches) {
    for (const t of rows) {
      if (sep !== '' && !first) buf += sep;
      first = false;
      buf += line(t);
      if (buf.length >= CHUNK_CHARS) {
        yield buf;
        buf = '';
      }
    }
  }
  if (opts.tail !== undefined) buf += opts.tail();
  if (buf !== '') yield buf;
}
