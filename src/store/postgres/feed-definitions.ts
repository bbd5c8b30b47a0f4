/**
 * Feed definitions as the feeds last ran. A change bumps the data version, with its notice to the
 * other instances, in the same statement (lookups label the feed's data by its definition).
 */
import { FEED_DEFINITION_SQL, definitionParams, toStoredDefinition, type DefinitionRow } from '../feed-definitions.ts';
import type { FeedDefinitionRepository } from '../types.ts';
import { checkFeedId } from '../validate.ts';
import type { ChangeNotices } from './changes.ts';
import { numbered, type Queries } from './queries.ts';

// the upsert's parameters are $1–$4; the channel is $5
const PUT = `WITH up AS (${numbered(FEED_DEFINITION_SQL.put)} RETURNING 1),
  bump AS (UPDATE store_state SET data_version = data_version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM up) RETURNING data_version)
  SELECT (SELECT data_version FROM bump) AS v, (SELECT pg_notify($5, json_build_object('v', data_version)::text) FROM bump) AS sent`;
// the delete's parameter is $1; the channel is $2
const DELETE = `WITH gone AS (${numbered(FEED_DEFINITION_SQL.delete)} RETURNING 1),
  bump AS (UPDATE store_state SET data_version = data_version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM gone) RETURNING data_version)
  SELECT (SELECT data_version FROM bump) AS v, (SELECT pg_notify($2, json_build_object('v', data_version)::text) FROM bump) AS sent`;
const GET = numbered(FEED_DEFINITION_SQL.get);

export function createFeedDefinitionRepository(db: Queries, changes: ChangeNotices): FeedDefinitionRepository {
  return {
    async put(feedId, definition, at) {
      const p = definitionParams(feedId, definition, at);
      const r = await db.row<{ v: string | null }>('feed definition put', PUT, [p.feedId, p.json, p.at, p.at, changes.channel]);
      if (r?.v === null || r?.v === undefined) return false;
      changes.committed(Number(r.v));
      return true;
    },
    async get(feedId) {
      checkFeedId(feedId, 'feedDefinitions.get');
      const row = await db.row<DefinitionRow>('feed definition', GET, [feedId]);
      return row === undefined ? null : toStoredDefinition(row);
    },
    async list() {
      return (await db.q<DefinitionRow>('feed definitions', FEED_DEFINITION_SQL.all)).rows.map(toStoredDefinition);
    },
    async delete(feedId) {
      checkFeedId(feedId, 'feedDefinitions.delete');
      const r = await db.row<{ v: string | null }>('feed definition delete', DELETE, [feedId, changes.channel]);
      if (r?.v === null || r?.v === undefined) return false;
      changes.committed(Number(r.v));
      return true;
    },
  };
}
