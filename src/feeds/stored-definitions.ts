/**
 * Feeds the store remembers. A feed's definition is kept in the store each time it runs
 * (`definitionToStore`), so a process started without the file that defined the feed — another
 * instance, or a later start — still labels the feed's data as it was labelled: its name,
 * category and reliability, which scoring weighs. The process's own catalog (bundled and
 * VERDICT_FEEDS_FILE) always speaks for the feeds it defines; a stored definition speaks only for
 * a feed it no longer defines: an orphaned feed, whose data is kept and shown as before but
 * which nothing runs.
 */
import { FEED_CATEGORIES, RELIABILITIES, type FeedInfo } from '../model.ts';
import type { FeedDefinitionRepository, StoredFeedDefinition } from '../store/types.ts';
import { checkDefinition, type FeedCatalog } from './catalog.ts';
import type { FeedDefinition } from './types.ts';

export interface OrphanedFeed {
  id: string;
  /** How lookups label its data: from the stored definition. */
  info: FeedInfo;
  /** The stored definition as it was stored (what `verdict feeds list` shows of it). */
  definition: Readonly<Record<string, unknown>>;
  storedAt: string;
  updatedAt: string;
}

/**
 * What the store keeps of a definition: all of it but what may be a credential — the values of
 * `options.headers` and a password in the URL. A feed's label must not become a second copy of
 * its secrets (the environment variables `authEnv` names stay where they are).
 */
export function definitionToStore(def: FeedDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = JSON.parse(JSON.stringify(def)) as Record<string, unknown>;
  if (typeof def.url === 'string') out.url = withoutPassword(def.url);
  const options = out.options as Record<string, unknown> | undefined;
  if (options !== undefined && options.headers !== undefined) {
    const names = typeof options.headers === 'object' && options.headers !== null ? Object.keys(options.headers) : [];
    options.headers = Object.fromEntries(names.map((n) => [n, '(not stored)']));
  }
  return out;
}

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

const isOneOf = <T extends string>(v: unknown, allowed: readonly T[]): v is T => typeof v === 'string' && (allowed as readonly string[]).includes(v);

/**
 * The label of a stored definition. A definition this version of Verdict can no longer check in
 * full (a format it dropped) still labels its data when its name, category and reliability
 * read; otherwise there is none, and the data shows as an unknown feed's.
 */
export function storedInfo(stored: StoredFeedDefinition): FeedInfo | null {
  let def: Pick<FeedDefinition, 'name' | 'category' | 'reliability' | 'verdict'>;
  try {
    def = checkDefinition({ ...stored.definition, id: stored.feedId }, 'the stored definition of');
  } catch {
    const raw = stored.definition;
    if (typeof raw.name !== 'string' || raw.name.trim() === '' || !isOneOf(raw.category, FEED_CATEGORIES) || !isOneOf(raw.reliability, RELIABILITIES)) return null;
    def = { name: raw.name.trim(), category: raw.category, reliability: raw.reliability };
    if (raw.verdict === 'allow' || raw.verdict === 'deny') def.verdict = raw.verdict;
  }
  const info: FeedInfo = { id: stored.feedId, name: def.name, category: def.category, reliability: def.reliability };
  if (def.verdict !== undefined) info.verdict = def.verdict;
  return Object.freeze(info);
}

function orphansOf(base: FeedCatalog, stored: readonly StoredFeedDefinition[]): OrphanedFeed[] {
  const out: OrphanedFeed[] = [];
  for (const s of stored) {
    if (base.get(s.feedId) !== undefined) continue;
    const info = storedInfo(s);
    if (info === null) continue;
    out.push(Object.freeze({ id: s.feedId, info, definition: Object.freeze(s.definition), storedAt: s.storedAt, updatedAt: s.updatedAt }));
  }
  return out;
}

/**
 * The catalog `base` with what the store remembers of feeds it does not define: read now, and
 * again whenever a lookup sees a data version this catalog has not read the store at
 * (`refreshAt`), so a definition stored by another instance labels lookups here too.
 */
export async function withStoredDefinitions(base: FeedCatalog, store: { feedDefinitions: Pick<FeedDefinitionRepository, 'list'>; dataVersion(): Promise<number> }): Promise<FeedCatalog> {
  const definitions = store.feedDefinitions;
  // the version first: the definitions read after it are at least that new
  let readAt: number | null = await store.dataVersion();
  let orphans: readonly OrphanedFeed[] = orphansOf(base, await definitions.list());
  let byId = new Map(orphans.map((o) => [o.id, o]));
  let reading: { version: number; done: Promise<void> } | null = null;

  const read = (version: number): Promise<void> => {
    if (reading !== null && reading.version === version) return reading.done;
    const done = definitions.list().then(
      (all) => {
        orphans = orphansOf(base, all);
        byId = new Map(orphans.map((o) => [o.id, o]));
        if (readAt === null || version > readAt) readAt = version;
      },
      (err: unknown) => {
        // not kept: the next lookup asks again
        if (reading?.done === done) reading = null;
        throw err;
      },
    );
    reading = { version, done };
    return done;
  };

  return {
    list: () => base.list(),
    get: (id) => base.get(id),
    info: (id) => base.info(id) ?? byId.get(id)?.info,
    orphans: () => orphans,
    async refreshAt(version) {
      if (readAt === null || version > readAt) await read(version);
      return version;
    },
  };
}
