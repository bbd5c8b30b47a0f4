/**
 * Hunting queries: one generator per SIEM behind HuntingQueryBuilder. Every generator prepares
 * its per-type templates when the builder is created; `build` only escapes and joins.
 */
import { unknownName, type UnknownName } from '../indicators/type-hint.ts';
import { isIndicatorType } from '../indicators/types.ts';
import {
  HUNTING_PLATFORMS,
  QUERIES_JSON,
  RISK_LEVELS,
  type HuntingInput,
  type HuntingPlatform,
  type HuntingQueries,
  type HuntingQueryBuilder,
  type RiskLevel,
} from '../model.ts';
import { createEsqlGenerator } from './esql.ts';
import { createKqlGenerator } from './kql.ts';
import { createSigmaGenerator } from './sigma.ts';
import { createSplunkGenerator, createSplunkTstatsGenerator } from './splunk.ts';
import type { QueryGenerator } from './types.ts';

export { kqlString, splString, esqlString, sigmaString, yamlString } from './escape.ts';
export type { QueryGenerator } from './types.ts';

export interface HuntingOptions {
  /** Time window written into KQL and ES|QL queries, in days (default 30). */
  lookbackDays?: number;
}

/** Thrown for input no generator can honour (unknown type or platform, non-string value). */
export class HuntingInputError extends TypeError {
  override name = 'HuntingInputError';
}

function isPlatform(p: unknown): p is HuntingPlatform {
  return typeof p === 'string' && (HUNTING_PLATFORMS as readonly string[]).includes(p);
}

const NO_EXTRA_PLATFORMS = Object.freeze({ ok: true, platforms: Object.freeze([]) } as const);

/**
 * Extra platforms as clients write them (`?platforms=`, `--platforms`): comma-separated,
 * case-insensitive, blanks and empty items ignored; nothing given is no extra platform.
 */
export function parsePlatforms(raw: string | undefined): { readonly ok: true; readonly platforms: readonly HuntingPlatform[] } | UnknownName {
  // most lookups ask for none: no object per request
  if (raw === undefined) return NO_EXTRA_PLATFORMS;
  const platforms: HuntingPlatform[] = [];
  for (const item of raw.split(',')) {
    const name = item.trim().toLowerCase();
    if (name === '') continue;
    if (!isPlatform(name)) return unknownName('hunting platform', name, HUNTING_PLATFORMS);
    platforms.push(name);
  }
  return { ok: true, platforms };
}

function check(input: HuntingInput): void {
  if (input === null || typeof input !== 'object') throw new HuntingInputError('hunting input must be an object');
  if (typeof input.type !== 'string' || !isIndicatorType(input.type)) throw new HuntingInputError(`unknown indicator type: ${String(input.type)}`);
  if (typeof input.value !== 'string' || input.value.length === 0) throw new HuntingInputError('indicator value must be a non-empty string');
  if (!(RISK_LEVELS as readonly string[]).includes(input.level as RiskLevel)) throw new HuntingInputError(`unknown risk level: ${String(input.level)}`);
  if (!isStringArray(input.techniques)) throw new HuntingInputError('techniques must be an array of ATT&CK ids');
  const context: unknown = input.context;
  if (context === undefined) return;
  if (context === null || typeof context !== 'object') throw new HuntingInputError('context must be an object');
  for (const key of ['threatTypes', 'malwareFamilies', 'references'] as const) {
    const list = (context as Record<string, unknown>)[key];
    if (list !== undefined && !isStringArray(list)) throw new HuntingInputError(`context.${key} must be an array of strings`);
  }
}

function isStringArray(list: unknown): list is string[] {
  return Array.isArray(list) && list.every((x) => typeof x === 'string');
}

export function createHuntingQueryBuilder(options: HuntingOptions = {}): HuntingQueryBuilder {
  const days = options.lookbackDays ?? 30;
  const generators: Record<HuntingPlatform, QueryGenerator> = {
    splunk: createSplunkGenerator(),
    splunk_tstats: createSplunkTstatsGenerator(),
    kql: createKqlGenerator({ lookback: `${days}d` }),
    sigma: createSigmaGenerator(),
    esql: createEsqlGenerator({ lookbackDays: days }),
  };
  return {
    build(input: HuntingInput, platforms: readonly HuntingPlatform[] = HUNTING_PLATFORMS): HuntingQueries {
      check(input);
      const out: Partial<Record<HuntingPlatform, string>> = {};
      // the record's JSON text too, from each generator's pre-escaped templates (QUERIES_JSON)
      let json = '';
      for (const p of platforms) {
        if (!isPlatform(p)) throw new HuntingInputError(`unknown hunting platform: ${String(p)}; expected one of ${HUNTING_PLATFORMS.join(', ')}`);
        const g = generators[p];
        const text = g.generate(input);
        // a platform asked twice keeps its first place, as assigning the key again would
        if (!(p in out)) json += `${json === '' ? '{' : ','}"${p}":${g.generateJson?.(input) ?? JSON.stringify(text)}`;
        out[p] = text;
      }
      Object.defineProperty(out, QUERIES_JSON, { value: json === '' ? '{}' : `${json}}` });
      return out;
    },
  };
}
