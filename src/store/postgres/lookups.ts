/** The reads of a lookup: an indicator's sightings (a primary-key read) and the ranges holding an address (GiST). */
import ipaddr from '../../vendor/ipaddr.ts';
import { SIGHTING_COLUMNS, toSighting } from '../rows.ts';
import type { SightingRow } from '../rows.ts';
import { SIGHTINGS_OF } from '../sql.ts';
import type { Store } from '../types.ts';
import { numbered, type Queries } from './queries.ts';

const SQL = {
  sightingsOf: numbered(SIGHTINGS_OF),
  // GiST (inet_ops) answers "ranges containing this address"; most specific range first, as SQLite does
  rangesContaining: `SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE range >>= $1::inet ORDER BY masklen(range) DESC, value, feed_id`,
};

export function createLookups(db: Queries): Pick<Store, 'sightingsOf' | 'rangesContaining'> {
  return {
    async sightingsOf(type, value) {
      return (await db.q<SightingRow>('lookup', SQL.sightingsOf, [type, value])).rows.map(toSighting);
    },
    async rangesContaining(ip) {
      if (typeof ip !== 'string' || !ipaddr.isValid(ip)) throw new TypeError(`rangesContaining: ${JSON.stringify(ip)} is not an IP address`);
      return (await db.q<SightingRow>('range lookup', SQL.rangesContaining, [ip])).rows.map(toSighting);
    },
  };
}
