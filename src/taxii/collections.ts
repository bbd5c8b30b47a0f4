/**
 * The collections Verdict serves, all read-only views of the IOC catalogue: every indicator, the
 * high-confidence ones (the catalogue's own risk model: level high or critical, i.e. score ≥ 60,
 * and confidence medium or high), and one per feed category. Rules are data: each collection is
 * the catalogue filters it applies.
 */
import { FEED_CATEGORIES } from '../model.ts';
import type { CatalogueFilters } from '../store/types.ts';
import { collectionId } from './ids.ts';

/** The media type of TAXII 2.1 messages (what the server answers, what the feed client asks for). */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

export interface TaxiiCollection {
  id: string;
  /** Stable name the id is derived from (also its alias). */
  name: string;
  title: string;
  description: string;
  filters: Omit<CatalogueFilters, 'type'>;
}

const CATEGORY_TEXT: Readonly<Record<(typeof FEED_CATEGORIES)[number], string>> = {
  government: 'Government',
  community: 'Community',
  commercial: 'Commercial',
  research: 'Research',
  internal: 'Internal',
};

/** The rule of the high-confidence collection (docs/taxii.md). */
export const HIGH_CONFIDENCE_FILTERS = { level: 'high', confidence: 'medium' } as const satisfies Omit<CatalogueFilters, 'type'>;

function collection(name: string, title: string, description: string, filters: Omit<CatalogueFilters, 'type'>): TaxiiCollection {
  return { id: collectionId(name), name, title, description, filters };
}

export const TAXII_COLLECTIONS: readonly TaxiiCollection[] = Object.freeze([
  collection('all', 'All indicators', 'Every indicator a feed still lists, with the risk level and confidence Verdict gives it.', {}),
  collection(
    'high-confidence',
    'High-confidence indicators',
    'Indicators Verdict rates high or critical (risk score 60 or more) with medium or high confidence: the ones to block or alert on.',
    HIGH_CONFIDENCE_FILTERS,
  ),
  ...FEED_CATEGORIES.map((c) =>
    collection(c, `${CATEGORY_TEXT[c]} feeds`, `Indicators listed by at least one ${c} feed (each carries Verdict's overall risk level and confidence).`, { category: c }),
  ),
]);

export function findCollection(id: string): TaxiiCollection | undefined {
  return TAXII_COLLECTIONS.find((c) => c.id === id);
}
