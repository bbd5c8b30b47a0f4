/**
 * Sigma: the hunting rule of each indicator (src/hunting/sigma.ts, the same rule a lookup's
 * `hunting_queries.sigma` holds) as one YAML document of a multi-document stream (`---`).
 */
import type { HuntingQueryBuilder } from '../model.ts';
import { isIndicatorType } from '../indicators/types.ts';
import { eachItem, type ExportItems } from './types.ts';

export async function* sigmaRules(items: ExportItems, hunting: HuntingQueryBuilder): AsyncIterable<string> {
  let first = true;
  for await (const item of eachItem(items)) {
    if (!item.found || !isIndicatorType(item.type)) continue;
    const rule = hunting.build(
      {
        type: item.type,
        value: item.value,
        level: item.risk.level as 'low' | 'medium' | 'high' | 'critical',
        techniques: item.mitre_techniques.map((t) => t.id),
        context: { threatTypes: item.threat_types, malwareFamilies: item.malware_families },
      },
      ['sigma'],
    ).sigma!;
    yield (first ? '' : '---\n') + (rule.endsWith('\n') ? rule : rule + '\n');
    first = false;
  }
}
