/**
 * KQL generator (Microsoft Sentinel and Defender XDR advanced hunting). The value is bound once,
 * in `let ioc = "…";`, and every table is searched through that name: one literal to escape, and
 * an analyst can swap the indicator by editing one line. Legs are stacked with
 * `union isfuzzy=true` so that the query still runs where some tables are absent.
 */
import type { HuntingInput } from '../model.ts';
import type { IndicatorType } from '../indicators/types.ts';
import { kqlString } from './escape.ts';
import { KQL_RULES, type KqlLeg, type KqlRule } from './rules/kql.ts';
import { SLOT, prepare, render, renderJson, type Template } from './template.ts';
import type { QueryGenerator } from './types.ts';
import { searchedValue } from './value.ts';

export interface KqlOptions {
  /** Default lookback as a KQL timespan literal (`30d`, `12h`). */
  lookback: string;
}

const TIMESPAN = /^\d{1,5}(d|h|m)$/;

function renderLeg(leg: KqlLeg, columns: readonly string[]): string {
  const where = leg.match.map((m) => `${m.column} ${m.op} ${m.operand ?? 'ioc'}`).join(' or ');
  const time = leg.time === null ? 'datetime(null)' : leg.time;
  const projected = columns
    .map((c) => {
      const expr = leg.project[c] ?? '""';
      // Literals are already strings; everything else is cast so every leg has the same schema.
      return `${c} = ${expr.startsWith('"') ? expr : `tostring(${expr})`}`;
    })
    .join(', ');
  const lines = [`    (${leg.table}`];
  if (leg.time !== null) lines.push(`    | where ${leg.time} > ago(lookback)`);
  lines.push(`    | where ${where}`);
  lines.push(`    | project EventTime = ${time}, SourceTable = ${kqlString(leg.table)}, ${projected})`);
  return lines.join('\n');
}

function renderRest(rule: KqlRule): string {
  const by = ['SourceTable', ...rule.columns].join(', ');
  return [
    ';',
    ...(rule.lets ?? []),
    'union isfuzzy=true',
    rule.legs.map((leg) => renderLeg(leg, rule.columns)).join(',\n'),
    `| summarize Events = count(), FirstSeen = min(EventTime), LastSeen = max(EventTime) by ${by}`,
    '| sort by Events desc',
  ].join('\n');
}

export function createKqlGenerator(options: KqlOptions = { lookback: '30d' }): QueryGenerator {
  if (!TIMESPAN.test(options.lookback)) throw new RangeError(`KQL lookback must look like 30d, 12h or 90m, got ${JSON.stringify(options.lookback)}`);
  const head = `let lookback = ${options.lookback};\nlet ioc = `;
  // Everything around the literal is fixed per type: prepared once, the literal goes in its slot.
  const templates = new Map<IndicatorType, Template>();
  for (const [type, rule] of Object.entries(KQL_RULES) as [IndicatorType, KqlRule][]) templates.set(type, prepare(`${head}${SLOT}${renderRest(rule)}`));
  const parts = (input: HuntingInput): [Template, string] => [templates.get(input.type)!, kqlString(searchedValue(input.type, input.value))];
  return {
    platform: 'kql',
    generate: (input: HuntingInput): string => render(...parts(input)),
    generateJson: (input: HuntingInput): string => renderJson(...parts(input)),
  };
}
