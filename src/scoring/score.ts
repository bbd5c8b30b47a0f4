/**
 * The risk model. Each source's report becomes a probability that the indicator is malicious:
 * reliability × stated confidence × decay (× a weight for delisted or containing-range evidence).
 * Independent reports combine as a noisy-OR, P = 1 − Π(1 − pᵢ), so corroboration raises the score
 * and weak or stale reports add little. The score is 100 × P × the severity of the worst credible
 * threat type; warning lists cap it and analyst overrides fix its level. Pure: time is a parameter.
 */
import type { EvidenceSighting, RiskFactor, RiskLevel } from '../model.ts';
import { ageInDays, decayFactor } from './decay.ts';
import { ageWords, pct, round1, round3 } from './describe.ts';
import { applyWarninglists } from './caps.ts';
import { bandOf, levelOf } from './levels.ts';
import { confidenceOf, type Weighed } from './confidence.ts';
import { isVerdict, resolveOverride } from './override.ts';
import type { ScoringRules } from './rules.ts';
import type { ScoreResult, ScoringInput } from './types.ts';

function weigh(s: EvidenceSighting, relation: Weighed['relation'], type: ScoringInput['type'], rules: ScoringRules, now: Date): Weighed {
  const ageDays = ageInDays(s.lastSeen, now) ?? ageInDays(s.updatedAt, now) ?? ageInDays(s.firstSeen, now);
  // Evidence about a containing range, host or parent decays by that thing's own lifetime.
  const decay = decayFactor(ageDays ?? 0, decayRuleOf(s, type, rules));
  const stated = typeof s.confidence === 'number' && Number.isFinite(s.confidence) ? Math.min(100, Math.max(0, s.confidence)) : null;
  let p = (rules.reliability[s.feed.reliability] ?? 0) * (stated === null ? rules.unstatedConfidence : stated / 100) * decay;
  if (!s.listed) p *= rules.delistedWeight;
  // Stored data outside the known vocabularies weighs as unknown rather than producing NaN.
  if (relation !== null) p *= rules.contextWeight[relation] ?? 0;
  let severity = (s.threatType === null ? undefined : rules.severity[s.threatType]) ?? rules.unknownThreatTypeSeverity;
  let severityReason: string | null = null;
  for (const m of rules.severityModifiers) {
    if (m.threatType === s.threatType && s.attributes[m.attribute] === m.equals && m.severity > severity) {
      severity = m.severity;
      severityReason = m.reason;
    }
  }
  return { s, relation, ageDays, decay, stated, p, severity, severityReason };
}

function sightingFactor(w: Weighed, delta: number, rules: ScoringRules): RiskFactor {
  const s = w.s;
  const what = s.malwareFamily ? `${s.threatType ?? 'an unspecified threat'} (${s.malwareFamily})` : (s.threatType ?? 'an unspecified threat');
  const stated = w.stated === null ? '' : `, stated confidence ${w.stated}`;
  const listed = s.listed ? '' : ', no longer listed';
  const subject = w.relation === null ? '' : ` the containing ${w.relation === 'parent_domain' ? 'parent domain' : w.relation} ${s.value}`;
  const d = round1(delta);
  const p = round3(w.p);
  const factor: RiskFactor = {
    kind: w.relation === null ? 'sighting' : 'context',
    description: `${s.feed.name} (${s.feed.category}, reliability ${s.feed.reliability}${stated}) reported${subject} as ${what}, last seen ${ageWords(w.ageDays)}${listed}: weight ${p}, ${d >= 0 ? '+' : ''}${d} points.`,
    delta: d,
    feed_id: s.feedId,
    reliability: s.feed.reliability,
    reliability_weight: rules.reliability[s.feed.reliability],
    stated_confidence: w.stated,
    threat_type: s.threatType,
    age_days: w.ageDays === null ? null : round1(w.ageDays),
    decay: round3(w.decay),
    probability: p,
  };
  if (w.relation !== null) {
    factor['relation'] = w.relation;
    factor['value'] = s.value;
  }
  return factor;
}

function decayRuleOf(s: EvidenceSighting, type: ScoringInput['type'], rules: ScoringRules) {
  return Object.hasOwn(rules.decay, s.type) ? rules.decay[s.type] : rules.decay[type];
}

function decayFactorOf(w: Weighed, type: ScoringInput['type'], rules: ScoringRules): RiskFactor {
  const rule = decayRuleOf(w.s, type, rules);
  const lifetime = rule?.lifetimeDays ?? null;
  return {
    kind: 'decay',
    description: `${w.s.feed.name}'s report is ${ageWords(w.ageDays).replace(' ago', ' old')}; ${w.s.type} evidence fades over ${lifetime} days, so it keeps ${pct(w.decay)} of its weight.`,
    feed_id: w.s.feedId,
    age_days: w.ageDays === null ? null : round1(w.ageDays),
    lifetime_days: lifetime,
    speed: rule?.speed ?? null,
    decay: round3(w.decay),
  };
}

export function scoreEvidence(input: ScoringInput, rules: ScoringRules, now: Date): ScoreResult {
  const factors: RiskFactor[] = [];
  const override = resolveOverride(input);
  const direct: Weighed[] = [];
  const all: Weighed[] = [];

  for (const s of input.sightings) {
    if (isVerdict(s)) continue;
    if (s.threatType === 'allowlisted') {
      factors.push({ kind: 'benign_report', description: `${s.feed.name} reports this indicator as benign; it does not add to the score.`, delta: 0, feed_id: s.feedId });
      continue;
    }
    const w = weigh(s, null, input.type, rules, now);
    direct.push(w);
    all.push(w);
  }
  for (const s of input.context) {
    if (s.threatType === 'allowlisted' || isVerdict(s)) continue;
    all.push(weigh(s, s.relation, input.type, rules, now));
  }

  // Severity: the worst threat type among credible reports. A report below the credible weight
  // counts in proportion to its weight, so that adding a report can never lower the score.
  let worst: Weighed | null = null;
  let severity = 0;
  for (const w of all) {
    const s = w.severity * Math.min(1, w.p / rules.credibleProbability);
    if (worst === null || s > severity) {
      worst = w;
      severity = s;
    }
  }

  // Noisy-OR, strongest first, so each report's delta is what it adds to those before it.
  const ordered = [...all].sort((a, b) => b.p - a.p);
  let keep = 1;
  for (const w of ordered) {
    const before = 1 - keep;
    keep *= 1 - w.p;
    factors.push(sightingFactor(w, 100 * severity * (1 - keep - before), rules));
    // Hours-old reports keep ~100%; a factor that says so would be noise.
    if (w.decay < 0.995) factors.push(decayFactorOf(w, input.type, rules));
  }
  const raw = 100 * severity * (1 - keep);
  let score = Math.round(raw);

  if (worst !== null) {
    factors.push({
      kind: 'severity',
      description: `Worst credible threat type: ${worst.s.threatType ?? 'unspecified'}${worst.severityReason ? `, ${worst.severityReason}` : ''} (severity ${round3(severity)}${severity < worst.severity ? `, reduced from ${worst.severity} because the report is weak` : ''}); the combined weight is scaled by it.`,
      threat_type: worst.s.threatType,
      severity: round3(severity),
    });
  }
  const contributing = ordered.filter((w) => w.p > 0);
  if (contributing.length > 1) {
    const alone = Math.round(100 * severity * (contributing[0] as Weighed).p);
    factors.push({
      kind: 'corroboration',
      description: `${contributing.length} reports agree; combined as independent evidence (noisy-OR), the strongest alone gives ${alone} and all together ${score}.`,
      sources: contributing.length,
      strongest_alone: alone,
      combined: score,
    });
  }
  if (all.length === 0 && override === null) {
    factors.push({ kind: 'no_evidence', description: 'No source reports this indicator. Not found is not the same as safe.', delta: 0 });
  }

  let level = levelOf(score, rules);
  ({ score, level } = applyWarninglists(input.warninglists, score, level, override !== null, rules, factors));

  let confidence = confidenceOf(direct, rules);
  if (override !== null) {
    const fixed = rules.overrides[override.verdict];
    const [lo, hi] = bandOf(fixed, rules);
    const next = Math.min(hi, Math.max(lo, score));
    factors.push({
      kind: 'override',
      description: `${override.source} ${override.verdict === 'allow' ? 'allows' : 'denies'} this indicator${override.reason ? ` (${override.reason})` : ''}; the level is fixed at ${fixed}.`,
      delta: next - score,
      verdict: override.verdict,
      ...(override.feedId === null ? {} : { feed_id: override.feedId }),
    });
    score = next;
    level = fixed;
    confidence = rules.confidence.override;
  }
  return { score, level, confidence, factors };
}
