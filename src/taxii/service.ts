/**
 * The TAXII 2.1 server's use cases over the IOC catalogue: discovery, the API root, collections,
 * and pages of a collection's objects, manifest and versions. A collection is its reference
 * objects (REFERENCE_OBJECTS) followed by its catalogue rows in the order Verdict recorded them
 * (`date_added`, unique per row), paged by a keyset cursor: a deep page costs what the first does.
 */
import type { AddedEntry, AddedQuery } from '../store/types.ts';
import { findCollection, TAXII_COLLECTIONS, type TaxiiCollection } from './collections.ts';
import { encodeCursor, fingerprint, type TaxiiFilter } from './filters.ts';
import { REFERENCE_ADDED_US, REFERENCE_OBJECTS, referenceVersion, rowObject, storedTypesFor, type ObjectOptions } from './objects.ts';
import { STIX_MEDIA_TYPE, type StixObject } from '../exports/stix.ts';
import { isoMicros, parseMicros } from './time.ts';

export interface TaxiiDeps extends ObjectOptions {
  /** The catalogue's rows in recording order, brought up to date first (src/catalogue/). */
  catalogue: {
    ensureFresh(): Promise<unknown>;
    byAdded(query: AddedQuery): Promise<{ entries: AddedEntry[]; more: boolean }>;
  };
}

/** One object of a page, before it is written out: a reference object or a catalogue row. */
type Item = { kind: 'ref'; index: number; obj: StixObject } | { kind: 'row'; entry: AddedEntry };

export interface Page {
  items: { id: string; dateAdded: string; version: string; object: () => StixObject | null }[];
  more: boolean;
  next: string | null;
}

export function collectionResource(c: TaxiiCollection) {
  return { id: c.id, title: c.title, description: c.description, alias: c.name, can_read: true, can_write: false, media_types: [STIX_MEDIA_TYPE] };
}

export function createTaxiiService(deps: TaxiiDeps) {
  const refVersionUs = REFERENCE_OBJECTS.map((o) => parseMicros(referenceVersion(o))!);

  function refMatches(i: number, f: TaxiiFilter, objectId: string | null): boolean {
    const o = REFERENCE_OBJECTS[i]!;
    if (!f.specVersion21) return false;
    if (objectId !== null && o.id !== objectId) return false;
    if (f.types !== null && !f.types.includes(o.type)) return false;
    if (f.ids !== null && !f.ids.includes(o.id)) return false;
    if (f.versions !== null && !f.versions.includes(refVersionUs[i]!)) return false;
    return f.addedAfterUs === null || REFERENCE_ADDED_US + i > f.addedAfterUs;
  }

  function rowQuery(c: TaxiiCollection, f: TaxiiFilter, objectId: string | null, limit: number): AddedQuery | null {
    if (!f.specVersion21) return null;
    const stixIds = objectId !== null ? (f.ids === null || f.ids.includes(objectId) ? [objectId] : []) : f.ids;
    const q: AddedQuery = { ...c.filters, limit };
    if (f.types !== null) q.types = storedTypesFor(f.types);
    if (stixIds !== null) q.stixIds = stixIds;
    if (f.versions !== null) q.addedAtUs = f.versions;
    if (f.addedAfterUs !== null) q.addedAfterUs = f.addedAfterUs;
    if (f.cursor !== null && 'after' in f.cursor) q.after = f.cursor.after;
    return q;
  }

  function render(item: Item): Page['items'][number] {
    if (item.kind === 'ref') {
      const obj = item.obj;
      return { id: obj.id, dateAdded: isoMicros(REFERENCE_ADDED_US + item.index), version: referenceVersion(obj), object: () => obj };
    }
    const e = item.entry;
    const at = isoMicros(e.addedUs);
    return { id: e.stixId, dateAdded: at, version: at, object: () => rowObject(e, deps) };
  }

  /** A page of a collection (or of one object in it), after the cursor in `f`. */
  async function page(c: TaxiiCollection, f: TaxiiFilter, objectId: string | null): Promise<Page> {
    await deps.catalogue.ensureFresh();
    const items: Item[] = [];
    // reference objects first, unless the cursor is already past them
    let refsLeft = 0;
    if (f.cursor === null || 'refs' in f.cursor) {
      const from = f.cursor === null ? 0 : f.cursor.refs;
      for (let i = from; i < REFERENCE_OBJECTS.length; i++) {
        if (!refMatches(i, f, objectId)) continue;
        if (items.length < f.limit) items.push({ kind: 'ref', index: i, obj: REFERENCE_OBJECTS[i]! });
        else refsLeft++;
      }
    }
    let rowsMore = false;
    // with the page full of reference objects, one row is still looked for: does a next page exist?
    const q = refsLeft > 0 ? null : rowQuery(c, f, objectId, f.limit - items.length);
    if (q !== null) {
      const rows = await deps.catalogue.byAdded(q);
      for (const entry of rows.entries) items.push({ kind: 'row', entry });
      rowsMore = rows.more;
    }
    const more = refsLeft > 0 || rowsMore;
    let next: string | null = null;
    const last = items[items.length - 1];
    if (more) {
      const print = fingerprint(c.id, objectId, f);
      if (last === undefined || last.kind === 'ref') next = encodeCursor(print, { refs: last === undefined ? 0 : last.index + 1 });
      else next = encodeCursor(print, { after: { addedUs: last.entry.addedUs, type: last.entry.type, value: last.entry.value } });
    }
    return { items: items.map(render), more, next };
  }

  return {
    collections: (): TaxiiCollection[] => [...TAXII_COLLECTIONS],
    collection: (id: string): TaxiiCollection | undefined => findCollection(id),
    page,
    /** Whether the collection holds the object at all (any version). */
    async holds(c: TaxiiCollection, objectId: string): Promise<boolean> {
      if (REFERENCE_OBJECTS.some((o) => o.id === objectId)) return true;
      const rows = await deps.catalogue.byAdded({ ...c.filters, stixIds: [objectId], limit: 1 });
      return rows.entries.length > 0;
    },
  };
}

export type TaxiiService = ReturnType<typeof createTaxiiService>;
