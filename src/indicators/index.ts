/**
 * The indicator engine: the one place that turns a messy string into a canonical indicator.
 * Pure functions, no I/O; used by the API, the feeds and the CLI.
 */
export * from './types.ts';
export { refang } from './refang.ts';
export { normalize, MAX_INDICATOR_LENGTH } from './normalize.ts';
export { parseIndicator, detect, type ParseResult } from './detect.ts';
export { extract, ExtractMemo, type ExtractedIndicator, type ExtractOptions } from './extract.ts';
export { INDICATOR_ROLES, compileReferenceSites, shippedReferenceSites, type IndicatorRole, type ReferenceSites } from './role.ts';
export { registrableDomain } from './domain.ts';
export { specialAsn } from './simple.ts';
export { parseUrl, normalizeHost } from './url.ts';
export type { Normalized } from './result.ts';
