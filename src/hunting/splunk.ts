/**
 * Splunk generators: `splunk`, a plain search over `index=*` with CIM field names (runs
 * anywhere, as the seed shows), and `splunk_tstats`, the same hunt over accelerated CIM data
 * models. Both count by the fields that help triage, with first and last time seen.
 */
import type { IndicatorType } from '../indicators/types.ts';
import type { HuntingInput, HuntingPlatform } from '../model.ts';
import { splString } from './escape.ts';
import { SPLUNK_RULES, type SplunkRule, type SplunkTerm, type SplunkTstatsLeg } from './rules/splunk.ts';
import { SLOT, literalBody, prepare, render, renderJson, type Template } from './template.ts';
import type { QueryGenerator } from './types.ts';
import { searchedValue } from './value.ts';

/** Fields every data model has at its root: they take no dataset prefix in tstats. */
const BASE_FIELDS = new Set(['_time', 'host', 'source', 'sourcetype']);

const PATTERN_TEXT = { exact: SLOT, subdomain: `*.${SLOT}`, contains: `*${SLOT}*` } as const;

function term(field: string, t: SplunkTerm): string {
  return `${field}="${PATTERN_TEXT[t.pattern]}"`;
}

/**
 * SPL cannot escape `*` in a search term, so for a value holding one the search is followed by
 * an exact filter in eval syntax, where `*` is an ordinary character. Comparisons are lowered
 * because search terms match case-insensitively and eval does not; `like` patterns may only
 * widen (`%`/`_` in the value), never narrow, what the exact value would match.
 */
const EXACT_FILTER = {
  exact: (f: string) => `lower(${f})==lower("${SLOT}")`,
  subdomain: (f: string) => `like(lower(${f}), lower("%.${SLOT}"))`,
  contains: (f: string) => `like(lower(${f}), lower("%${SLOT}%"))`,
} as const;

function searchText(rule: SplunkRule, exactFilter: boolean): string {
  const { terms, by } = rule.search;
  const where = terms.map((t) => term(t.field, t)).join(' OR ');
  const filter = exactFilter ? ` | where ${terms.map((t) => EXACT_FILTER[t.pattern](t.field)).join(' OR ')}` : '';
  const fields = by.join(' ');
  return (
    `index=* (${where})${filter}` +
    ` | fillnull value="-" ${fields}` +
    ` | stats count min(_time) as firstTime max(_time) as lastTime by ${fields}` +
    ' | convert ctime(firstTime) ctime(lastTime) | sort - count'
  );
}

function tstatsLeg(leg: SplunkTstatsLeg): string {
  const prefix = leg.datamodel.slice(leg.datamodel.indexOf('.') + 1);
  const qualify = (f: string): string => (BASE_FIELDS.has(f) ? f : `${prefix}.${f}`);
  const where = leg.terms.map((t) => term(qualify(t.field), t)).join(' OR ');
  return (
    '| tstats summariesonly=false allow_old_summaries=true fillnull_value="-"' +
    ` count min(_time) as firstTime max(_time) as lastTime from datamodel=${leg.datamodel}` +
    ` where (${where}) by ${leg.by.map(qualify).join(' ')}` +
    ` | rename "${prefix}.*" as * | eval datamodel="${leg.datamodel}"`
  );
}

function tstatsText(rule: SplunkRule): string {
  const [first, ...rest] = rule.tstats.map(tstatsLeg);
  return [first, ...rest.map((leg) => `| append [${leg}]`), '| convert ctime(firstTime) ctime(lastTime)', '| sort - count'].join('\n');
}

interface Templates {
  plain: Template;
  /** For values containing `*`; the same as `plain` where no filter is needed. */
  star: Template;
}

function generator(platform: HuntingPlatform, text: (rule: SplunkRule, exactFilter: boolean) => string): QueryGenerator {
  const templates = new Map<IndicatorType, Templates>();
  for (const [type, rule] of Object.entries(SPLUNK_RULES) as [IndicatorType, SplunkRule][]) {
    templates.set(type, { plain: prepare(text(rule, false)), star: prepare(text(rule, true)) });
  }
  /** The template for the input and the escaped value that goes into it. */
  const parts = (input: HuntingInput): [Template, string] => {
    const t = templates.get(input.type)!;
    const value = searchedValue(input.type, input.value);
    return [value.includes('*') ? t.star : t.plain, literalBody(splString(value))];
  };
  return {
    platform,
    generate: (input: HuntingInput): string => render(...parts(input)),
    generateJson: (input: HuntingInput): string => renderJson(...parts(input)),
  };
}

export function createSplunkGenerator(): QueryGenerator {
  return generator('splunk', searchText);
}

export function createSplunkTstatsGenerator(): QueryGenerator {
  // tstats results keep only the `by` fields, so no exact filter can follow: `*` stays a wildcard.
  // A type no data model holds (an AS number) gets the plain search, which runs anywhere.
  return generator('splunk_tstats', (rule, exactFilter) => (rule.tstats.length === 0 ? searchText(rule, exactFilter) : tstatsText(rule)));
}
