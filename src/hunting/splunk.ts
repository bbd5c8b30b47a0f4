/**
 * Splunk generators: `splunk`, a plain search over `index=*` with CIM field names (runs
 * anywhere, as the seed shows), and `splunk_tstats`, the same hunt over accelerated CIM data
 * models. Both count by the fields that help triage, with first and last time seen.
 */
import type { IndicatorType } from '../indicators/types.ts';
import type { HuntingInput, HuntingPlatform } from '../model.ts';
import { splString } from './escape.ts';
import { SPLUNK_RULES, type SplunkRule, type SplunkTerm, type SplunkTstatsLeg } from './rules/splunk.ts';
import { SLOT, literalBody, prepare, render, type Template } from './template.ts';
import type { QueryGenerator } from './types.ts';

/** Fields every data model has at its root: they take no dataset prefix in tstats. */
const BASE_FIELDS = new Set(['_time', 'host', 'source', 'sourcetype']);

const PATTERN_TEXT = { exact: SLOT, subdomain: `*.${SLOT}`, contains: `*${SLOT}*` } as const;

function term(field: string, t: SplunkTerm): string {
  return `${field}="${PATTERN_TEXT[t.pattern]}"`;
}

function searchText(rule: SplunkRule): string {
  const { terms, by } = rule.search;
  const where = terms.map((t) => term(t.field, t)).join(' OR ');
  const fields = by.join(' ');
  return (
    `index=* (${where})` +
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

function generator(platform: HuntingPlatform, text: (rule: SplunkRule) => string): QueryGenerator {
  const templates = new Map<IndicatorType, Template>();
  for (const [type, rule] of Object.entries(SPLUNK_RULES) as [IndicatorType, SplunkRule][]) templates.set(type, prepare(text(rule)));
  return {
    platform,
    generate(input: HuntingInput): string {
      return render(templates.get(input.type)!, literalBody(splString(input.value)));
    },
  };
}

export function createSplunkGenerator(): QueryGenerator {
  return generator('splunk', searchText);
}

export function createSplunkTstatsGenerator(): QueryGenerator {
  return generator('splunk_tstats', tstatsText);
}
