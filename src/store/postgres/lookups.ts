/** The reads of a lookup: an indicator's sightings (a primary-key read) and the ranges holding an address (GiST). */
import ipaddr from '../../vendor/ipaddr.ts';
import { SIGHTING_COLUMNS, toSighting } from '../rows.ts';
import type { SightingRow } from '../rows.ts';
import { SIGHTINGS_OF } from '../sql.ts';
import type { Sighting } from '../../model.ts';
import type { StoredType } from '../../indicators/types.ts';
import type { Store } from '../types.ts';
import { gatheredReads } from './gathered.ts';
import { numbered, type Queries } from './queries.ts';

const SQL = {
  sightingsOf: numbered(SIGHTINGS_OF),
  // GiST (inet_ops) answers "ranges containing this address"; most specific range first, as SQLite does
  rangesContaining: `SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE range >>= $1::inet ORDER BY masklen(range) DESC, value, feed_id`,
  // bulk reads: many values of one type on the primary key, many addresses through GiST, one statement each
  sightingsOfMany: `SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE type = $1 AND value = ANY($2::text[]) ORDER BY value, feed_id`,
  rangesContainingMany: `SELECT host(a.ip) AS asked, ${SIGHTING_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')}
    FROM unnest($1::inet[]) AS a(ip) JOIN sightings s ON s.range >>= a.ip
    ORDER BY a.ip, masklen(s.range) DESC, s.value, s.feed_id`,
};

export function createLookups(db: Queries): Pick<Store, 'sightingsOf' | 'rangesContaining' | 'sightingsOfMany' | 'rangesContainingMany'> {
  const lookups: Pick<Store, 'sightingsOf' | 'rangesContaining' | 'sightingsOfMany' | 'rangesContainingMany'> = {
    async sightingsOf(type, value) {
      return (await db.q<SightingRow>('lookup', SQL.sightingsOf, [type, value])).rows.map(toSighting);
    },
    // the address is checked by the gathering wrapper below, before anything is read
    async rangesContaining(ip) {
      return (await db.q<SightingRow>('range lookup', SQL.rangesContaining, [ip])).rows.map(toSighting);
    },
    async sightingsOfMany(type, values) {
      const out = new Map<string, Sighting[]>();
      for (const v of values) out.set(v, []);
      if (out.size === 0) return out;
      const rows = (await db.q<SightingRow>('bulk lookup', SQL.sightingsOfMany, [type, [...out.keys()]])).rows;
      for (const r of rows) out.get(r.value)?.push(toSighting(r));
      return out;
    },
    async rangesContainingMany(ips) {
      const out = new Map<string, Sighting[]>();
      // the address as PostgreSQL prints it back (host()), to find the asked form again
      const asked = new Map<string, string>();
      for (const ip of ips) {
        if (typeof ip !== 'string' || !ipaddr.isValid(ip)) throw new TypeError(`rangesContainingMany: ${JSON.stringify(ip)} is not an IP address`);
        out.set(ip, []);
        asked.set(ipaddr.parse(ip).toString(), ip);
      }
      if (out.size === 0) return out;
      const rows = (await db.q<SightingRow & { asked: string }>('bulk range lookup', SQL.rangesContainingMany, [[...out.keys()]])).rows;
      for (const r of rows) {
        const ip = asked.get(ipaddr.parse(r.asked).toString()) ?? r.asked;
        out.get(ip)?.push(toSighting(r));
      }
      return out;
    },
  };
  // lookups made together share their statements (gathered.ts)
  const sightings = gatheredReads<StoredType, Sighting>({
    groupOf: (type) => type,
    one: (type, value) => lookups.sightingsOf(type, value),
    many: (type, values) => lookups.sightingsOfMany(type, values),
  });
  const ranges = gatheredReads<null, Sighting>({
    groupOf: () => '',
    one: (_, ip) => lookups.rangesContaining(ip),
    many: (_, ips) => lookups.rangesContainingMany(ips),
  });
  return {
    ...lookups,
    sightingsOf: (type, value) => sightings.read(type, value),
    rangesContaining(ip) {
      // a bad address fails its own read, not those gathered with it
      if (typeof ip !== 'string' || !ipaddr.isValid(ip)) return Promise.reject(new TypeError(`rangesContaining: ${JSON.stringify(ip)} is not an IP address`));
      return ranges.read(null, ip);
    },
  };
}
