/**
 * Feed definitions kept in the store, shared by both engines: the statements, the check on what
 * is put, the one encoding (canonical JSON, so "the same definition" means the same text on
 * either engine) and the row reader. The store treats a definition as an opaque JSON object;
 * what it means is the catalog's business (src/feeds/catalog.ts).
 */
import type { StoredFeedDefinition } from './types.ts';
import { toMillis } from './records.ts';

/** A definition is a label, not a payload: anything larger is a mistake. */
export const MAX_DEFINITION_CHARS = 64 * 1024;

export const DEFINITION_COLUMNS = 'feed_id, definition, stored_at, updated_at';

export const FEED_DEFINITION_SQL = {
  /**
   * (feed, definition, stored at, updated at): inserts, or replaces a different definition; an
   * identical one is left alone, so the statement changes a row exactly when the definition changed.
   */
  put: `INSERT INTO feed_definitions (${DEFINITION_COLUMNS}) VALUES (?, ?, ?, ?)
     ON CONFLICT (feed_id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
     WHERE feed_definitions.definition <> excluded.definition`,
  get: `SELECT ${DEFINITION_COLUMNS} FROM feed_definitions WHERE feed_id = ?`,
  all: `SELECT ${DEFINITION_COLUMNS} FROM feed_definitions ORDER BY feed_id`,
  delete: 'DELETE FROM feed_definitions WHERE feed_id = ?',
} as const;

export interface DefinitionRow {
  feed_id: string;
  definition: string;
  stored_at: string;
  updated_at: string;
}

export function toStoredDefinition(r: DefinitionRow): StoredFeedDefinition {
  return { feedId: r.feed_id, definition: JSON.parse(r.definition) as Record<string, unknown>, storedAt: r.stored_at, updatedAt: r.updated_at };
}

/** JSON with every object's keys in order: equal definitions encode to equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value));
}

function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortedKeys(x);
  }
  return out;
}

/** What `put` stores: the checked feed id, the encoded definition and the time as UTC with milliseconds. */
export function definitionParams(feedId: unknown, definition: unknown, at: unknown): { feedId: string; json: string; at: string } {
  const bad = (problem: string): never => {
    throw new TypeError(`feed definition: ${problem}`);
  };
  if (typeof feedId !== 'string' || feedId.length === 0) bad('feedId must be a non-empty string');
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) bad('definition must be a JSON object');
  const ms = toMillis(at);
  if (ms === null) bad(`at must be an RFC 3339 time, got ${JSON.stringify(at)}`);
  const json = canonicalJson(definition);
  if (json.length > MAX_DEFINITION_CHARS) bad(`definition of feed "${String(feedId)}" is ${json.length} characters long; at most ${MAX_DEFINITION_CHARS}`);
  return { feedId: feedId as string, json, at: new Date(ms as number).toISOString() };
}
