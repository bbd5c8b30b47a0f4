/**
 * Stable ids: the STIX object each catalogue row is served as (the same id the STIX export gives
 * it, src/exports/stix.ts), and each collection's id (UUIDv5 of its name in a fixed namespace, so
 * a client configured with an id keeps it across restarts, instances and upgrades).
 */
import { uuidV5 } from '../hunting/uuid.ts';
import type { StoredType } from '../indicators/types.ts';
import { attackPatternId, indicatorId, observableOf, vulnerabilityId } from '../exports/stix.ts';

/** Namespace of the collection ids; never change it, or every client loses its collections. */
export const TAXII_COLLECTION_NAMESPACE = '5d0f3c2e-8a41-5b7e-9c36-2f1e4b7a9d08';

export const collectionId = (name: string): string => uuidV5(TAXII_COLLECTION_NAMESPACE, `collection:${name}`);

/** The id of the STIX object an indicator is served as: its indicator, or the vulnerability of a CVE, or the attack-pattern of a technique. */
export function stixSubjectId(type: StoredType, value: string): string | null {
  if (type === 'cve') return vulnerabilityId(value);
  if (type === 'mitre-attack') return attackPatternId(value);
  return observableOf(type, value) === null ? null : indicatorId(type, value);
}
