/**
 * The STIX objects a collection serves. Each catalogue row is one object — the `indicator` of an
 * observable, the `vulnerability` of a CVE, the `attack-pattern` of a technique — exactly as the
 * STIX export writes it (same id, pattern, validity, labels, TLP marking), except that its
 * `modified` is when Verdict recorded this version (its `date_added`, so version and date agree)
 * and the description leaves out the numeric score, which decay moves without a new version.
 * Every collection also holds the objects those refer to: Verdict's identity and the five TLP 2.0
 * marking definitions, dated REFERENCE_TIME.
 */
import { catalogueItem, type CatalogueLabels } from '../exports/catalogue.ts';
import { REFERENCE_TIME, TLP_MARKING_IDS, VERDICT_IDENTITY, indicatorObject, observableOf, stixObjectsOf, tlpMarking, type StixObject } from '../exports/stix.ts';
import { TLP_LEVELS, itemTlp } from '../exports/tlp.ts';
import type { ExportOptions } from '../exports/types.ts';
import { STORED_TYPES, type StoredType } from '../indicators/types.ts';
import type { AddedEntry } from '../store/types.ts';
import { isoMicros } from './time.ts';

/** `date_added` of the first reference object (epoch µs; the next ones a microsecond apart, unique as every date_added): before anything Verdict records. */
export const REFERENCE_ADDED_US = Date.parse(REFERENCE_TIME) * 1000;

/** The objects every collection starts with, in a fixed order. */
export const REFERENCE_OBJECTS: readonly StixObject[] = Object.freeze([
  VERDICT_IDENTITY,
  ...TLP_LEVELS.map(tlpMarking),
]);

/** The STIX type a stored type is served as. */
export function stixTypeOf(type: StoredType): string {
  return type === 'cve' ? 'vulnerability' : type === 'mitre-attack' ? 'attack-pattern' : 'indicator';
}

/** The stored types served as any of `stixTypes`. */
export function storedTypesFor(stixTypes: readonly string[]): StoredType[] {
  return STORED_TYPES.filter((t) => stixTypes.includes(stixTypeOf(t)));
}

/** A reference object's version: its `modified`, or `created` when it has none (marking definitions). */
export function referenceVersion(o: StixObject): string {
  return String(o['modified'] ?? o['created']);
}

export interface ObjectOptions {
  labels: CatalogueLabels;
  lifetimeDays: ExportOptions['lifetimeDays'];
}

/**
 * The indicator of an observable: the export's (`indicatorObject`), versioned when Verdict
 * recorded it, and described without the numeric score, which decay moves without a new version.
 * Built directly rather than through the export's generator, which also builds the observable,
 * relationships and sightings around each: a page holds a thousand of them.
 */
function indicatorOf(e: AddedEntry, pattern: string, opts: ObjectOptions): StixObject {
  const item = catalogueItem(e, opts.labels);
  const version = isoMicros(e.addedUs);
  const firstSeen = new Date(e.firstSeen).toISOString();
  const lastSeen = new Date(e.lastSeen).toISOString();
  const indicator = indicatorObject(item, e.stixId, pattern, firstSeen, lastSeen >= firstSeen ? lastSeen : firstSeen, opts.lifetimeDays(e.type), [TLP_MARKING_IDS[itemTlp(item.sources, undefined)]]);
  indicator['created'] = Date.parse(firstSeen) * 1000 > e.addedUs ? version : firstSeen;
  indicator['modified'] = version;
  indicator['description'] = `Verdict: risk ${e.level}, confidence ${e.confidence}; reported by ${[...new Set(item.sources.map((s) => s.feed_name))].join(', ')}.`;
  return indicator;
}

/** The object a row is served as; null if the export writes none for it (it has no STIX id then either). */
export function rowObject(e: AddedEntry, opts: ObjectOptions): StixObject | null {
  if (stixTypeOf(e.type) === 'indicator') {
    const obs = observableOf(e.type, e.value);
    return obs === null ? null : indicatorOf(e, obs.pattern, opts);
  }
  // a CVE's vulnerability or a technique's attack-pattern (few rows): as the export writes it
  const item = catalogueItem(e, opts.labels);
  // `now` only dates what has no date of its own; a catalogue row always has its dates
  for (const o of stixObjectsOf(item, { now: new Date(e.addedUs / 1000), lifetimeDays: opts.lifetimeDays }, new Set())) {
    if (o.id !== e.stixId) continue;
    const version = isoMicros(e.addedUs);
    const out: StixObject = { ...o, modified: version };
    if (typeof o['created'] === 'string' && Date.parse(o['created']) * 1000 > e.addedUs) out['created'] = version;
    return out;
  }
  return null;
}
