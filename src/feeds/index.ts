/** The feeds room: catalog, parsers, fetcher, scheduler and bundled data. */
export { loadCatalog, catalogFrom, checkDefinition, CatalogError, BUNDLED_CATALOG, type FeedCatalog } from './catalog.ts';
export { createFeedScheduler, nextRunAt, pruneOlderThan, FeedBusyError, UnknownFeedError, type FeedScheduler, type SchedulerDeps, type ImportOptions } from './scheduler.ts';
export { createLocalRunLock } from './run-lock.ts';
export { loadBundledData, BUNDLED_KEV } from './bundled.ts';
export { runFeed, previewFeed, DEFAULT_MAX_DROP_SHARE, type FeedPreview, type RunEnv, type RunSource } from './run.ts';
export { PARSERS, FeedParseError, RejectTally, newContext, type ByteSource, type FeedParser, type ParseContext } from './parsers/index.ts';
export { fetchTaxiiObjects, type TaxiiRequest } from './sources.ts';
export type { FeedDefinition, FeedFormat, RunLock } from './types.ts';
