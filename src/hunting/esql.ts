/**
 * ES|QL generator (Elastic), over ECS fields: filter the time window, match the indicator,
 * then count per host and endpoint with first and last time seen.
 */
import type { IndicatorType } from '../indicators/types.ts';
import type { HuntingInput } from '../model.ts';
import { esqlString } from './escape.ts';
import { ESQL_RULES, type EsqlRule, type EsqlTerm } from './rules/esql.ts';
import { SLOT, literalBody, prepare, render, renderJson, type Template } from './template.ts';
import type { QueryGenerator } from './types.ts';
import { searchedValue } from './value.ts';

export interface EsqlOptions {
  lookbackDays: number;
}

function term(t: EsqlTerm): string {
  switch (t.pattern) {
    case 'ip':
      return `${t.field} == TO_IP("${SLOT}")`;
    case 'subdomain':
      return `ENDS_WITH(${t.field}, ".${SLOT}")`;
    case 'exact':
      return `${t.field} == "${SLOT}"`;
    case 'long':
      return `${t.field} == TO_LONG("${SLOT}")`;
  }
}

function text(rule: EsqlRule, lookbackDays: number): string {
  return [
    `FROM ${rule.from.join(', ')}`,
    `| WHERE @timestamp >= NOW() - ${lookbackDays} days`,
    `| WHERE ${rule.terms.map(term).join(' OR ')}`,
    `| STATS events = COUNT(*), first_seen = MIN(@timestamp), last_seen = MAX(@timestamp) BY ${rule.by.join(', ')}`,
    '| SORT events DESC',
    '| LIMIT 1000',
  ].join('\n');
}

export function createEsqlGenerator(options: EsqlOptions = { lookbackDays: 30 }): QueryGenerator {
  const days = options.lookbackDays;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new RangeError(`ES|QL lookback must be 1–3650 whole days, got ${days}`);
  const templates = new Map<IndicatorType, Template>();
  for (const [type, rule] of Object.entries(ESQL_RULES) as [IndicatorType, EsqlRule][]) templates.set(type, prepare(text(rule, days)));
  /** The template for the input and the escaped value that goes into it. */
  const parts = (input: HuntingInput): [Template, string] => [templates.get(input.type)!, literalBody(esqlString(searchedValue(input.type, input.value)))];
  return {
    platform: 'esql',
    generate: (input: HuntingInput): string => render(...parts(input)),
    generateJson: (input: HuntingInput): string => renderJson(...parts(input)),
  };
}
