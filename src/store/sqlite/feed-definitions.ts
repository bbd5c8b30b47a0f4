/** Feed definitions as the feeds last ran; a change bumps the data version in the same transaction. */
import type Database from 'better-sqlite3';
import { FEED_DEFINITION_SQL, definitionParams, toStoredDefinition, type DefinitionRow } from '../feed-definitions.ts';
import type { FeedDefinitionRepository } from '../types.ts';
import { checkFeedId } from '../validate.ts';
import type { WriteGate } from './write-gate.ts';

export function createFeedDefinitionRepository(reader: Database.Database, writer: Database.Database, gate: WriteGate): FeedDefinitionRepository {
  const get = reader.prepare(FEED_DEFINITION_SQL.get);
  const all = reader.prepare(FEED_DEFINITION_SQL.all);
  const upsert = writer.prepare(FEED_DEFINITION_SQL.put);
  const del = writer.prepare(FEED_DEFINITION_SQL.delete);
  const bump = writer.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`);
  const put = writer.transaction((feedId: string, json: string, at: string) => {
    const changed = upsert.run(feedId, json, at, at).changes > 0;
    if (changed) bump.run();
    return changed;
  });
  const remove = writer.transaction((feedId: string) => {
    const gone = del.run(feedId).changes > 0;
    if (gone) bump.run();
    return gone;
  });

  return {
    async put(feedId, definition, at) {
      const p = definitionParams(feedId, definition, at);
      // most runs bring the definition already stored: answered from the reader, no write lock
      const row = get.get(p.feedId) as DefinitionRow | undefined;
      if (row !== undefined && row.definition === p.json) return false;
      return gate.write(() => put.immediate(p.feedId, p.json, p.at));
    },
    async get(feedId) {
      checkFeedId(feedId, 'feedDefinitions.get');
      const row = get.get(feedId) as DefinitionRow | undefined;
      return row === undefined ? null : toStoredDefinition(row);
    },
    async list() {
      return (all.all() as DefinitionRow[]).map(toStoredDefinition);
    },
    async delete(feedId) {
      checkFeedId(feedId, 'feedDefinitions.delete');
      return gate.write(() => remove.immediate(feedId));
    },
  };
}
