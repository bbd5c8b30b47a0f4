/**
 * The risk model. Each source's report becomes a probability that the indicator is malicious:
 * reliability × stated confidence × decay (× a weight for delisted, inactive or containing-range
 * evidence). Independent reports combine as a noisy-OR, P = 1 − Π(1 − pᵢ), so corroboration raises
 * the score and weak or stale reports add little; entries of one report (one MISP event, one SBL
 * record, a URL and its host from one pulse) are one report, counted by the strongest of them.
 * The score is 100 × P × the severity of the worst credible threat type; warning lists cap it and
 * analyst overrides fix its level. Pure: time is a parameter.
 */
import type { EvidenceSighting, RiskFactor, RiskLevel } from '../model.ts';
import { detail, statusOf } from '../evidence/details.ts';
import { originLabel, originOf } from '../evidence/origin.ts';
import { parseTime } from './time.ts';
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
  const inactive = inactiveReason(s, rules, now);
  if (inactive !== null) p *= rules.status.inactiveWeight;
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
  return { s, relation, ageDays, decay, stated, p, severity, severityReason, inactive, origin: originOf(s) };
}

/** Why the source itself says the entry is no longer active, or null: a status it marks inactive, or a validity that has ended. */
function inactiveReason(s: EvidenceSighting, rules: ScoringRules, now: Date): string | null {
  const a = s.attributes;
  // most sightings state neither: two property reads each
  if (a['status'] === undefined && a['url_status'] === undefined && a['c2_status'] === undefined && a['valid_until'] === undefined) return null;
  const status = statusOf(a);
  if (status !== null && rules.status.inactive.has(status)) {
    const online = detail(a, 'last_online');
    return `marks it ${status}${typeof online === 'string' ? ` (last online ${online.slice(0, 10)})` : ''}`;
  }
  const until = detail(a, 'valid_until');
  if (typeof until === 'string') {
    const t = parseTime(until);
    if (!Number.isNaN(t) && t < now.getTime()) return `states it valid only until ${until.slice(0, 10)}`;
  }
  return null;
}

/** When the report says it was seen: the feed's dates, a list's header date, the server's date, or when Verdict fetched it. */
function seenWords(w: Weighed, now: Date): string {
  const s = w.s;
  switch (s.dateSource) {
    case 'fetched':
      return `no date in the feed; first fetched ${ageWords(ageInDays(s.firstSeen, now))}, last fetched ${ageWords(w.ageDays)}`;
    case 'file':
      return `last seen ${ageWords(w.ageDays)} (the date the list states for itself)`;
    case 'http':
      return `last seen ${ageWords(w.ageDays)} (the server's Last-Modified date; the feed states none)`;
    default:
      return `last seen ${ageWords(w.ageDays)}`;
  }
}

function sightingFactor(w: Weighed, delta: number, rules: ScoringRules, now: Date, countedWith: Weighed | null): RiskFactor {
  const s = w.s;
  const what = s.malwareFamily ? `${s.threatType ?? 'an unspecified threat'} (${s.malwareFamily})` : (s.threatType ?? 'an unspecified threat');
  const stated = w.stated === null ? '' : `, stated confidence ${w.stated}`;
  const listed = s.listed ? '' : ', no longer listed';
  const inactive = w.inactive === null ? '' : `; it ${w.inactive}`;
  const subject = w.relation === null ? '' : w.relation === 'asn' ? ` its AS ${s.value}` : ` the containing ${w.relation === 'parent_domain' ? 'parent domain' : w.relation} ${s.value}`;
  const d = round1(delta);
  const p = round3(w.p);
  const counted = countedWith === null ? '' : ` (one report with ${countedWith.relation === null ? "the indicator's own entry" : countedWith.s.value}: counted once)`;
  const factor: RiskFactor = {
    kind: w.relation === null ? 'sighting' : 'context',
    description: `${s.feed.name} (${s.feed.category}, reliability ${s.feed.reliability}${stated}) reported${subject} as ${what}, ${seenWords(w, now)}${listed}${inactive}: weight ${p}, ${d >= 0 ? '+' : ''}${d} points${counted}.`,
    delta: d,
    feed_id: s.feedId,
    reliability: s.feed.reliability,
    reliability_weight: rules.reliability[s.feed.reliability],
    stated_confidence: w.stated,
    threat_type: s.threatType,
    age_days: w.ageDays === null ? null : round1(w.ageDays),
    date_source: s.dateSource,
    decay: round3(w.decay),
    probability: p,
  };
  if (w.inactive !== null) factor['inactive'] = w.inactive;
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

  // Entries of one report are one report: the strongest of them stands for it (so adding an
  // entry never lowers the score) and the others add nothing on top.
  const ordered = [...all].sort(strongestFirst);
  // only sightings that belong to a report enter the map (most are reports of their own)
  let leaderOf: Map<string, Weighed> | null = null;
  let shared: Set<string> | null = null;
  for (const w of ordered) {
    if (w.origin === null) continue;
    leaderOf ??= new Map();
    if (!leaderOf.has(w.origin)) leaderOf.set(w.origin, w);
    else (shared ??= new Set()).add(w.origin);
  }
  const leaderFor = (w: Weighed): Weighed => (w.origin === null || leaderOf === null ? w : (leaderOf.get(w.origin) as Weighed));

  // Noisy-OR over reports, strongest first, so each report's delta is what it adds to those before it.
  let keep = 1;
  for (const w of ordered) {
    const leader = leaderFor(w);
    if (leader !== w) {
      factors.push(sightingFactor(w, 0, rules, now, leader));
      continue;
    }
    const before = 1 - keep;
    keep *= 1 - w.p;
    factors.push(sightingFactor(w, 100 * severity * (1 - keep - before), rules, now, null));
    // Hours-old reports keep ~100%; a factor that says so would be noise.
    if (w.decay < 0.995) factors.push(decayFactorOf(w, input.type, rules));
  }
  for (const w of ordered) {
    if (w.inactive === null) continue;
    factors.push({
      kind: 'status',
      description: `${w.s.feed.name} ${w.inactive}: its report weighs ${pct(rules.status.inactiveWeight)} of an active one.`,
      feed_id: w.s.feedId,
      weight: rules.status.inactiveWeight,
    });
  }
  for (const origin of shared ?? []) {
    const list = ordered.filter((w) => w.origin === origin);
    const leader = list[0] as Weighed;
    const feeds = [...new Set(list.map((w) => w.s.feed.name))];
    factors.push({
      kind: 'same_origin',
      description: `${list.length} entries of one report (${originLabel(leader.s)}${feeds.length === 1 ? ` on ${feeds[0]}` : `, relayed by ${feeds.join(' and ')}`}), counted once: the strongest is ${leader.relation === null ? 'the indicator itself' : `${leader.s.value}`}.`,
      origin,
      entries: list.length,
    });
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
  const contributing = ordered.filter((w) => w.p > 0 && leaderFor(w) === w);
  if (contributing.length > 1) {
    const alone = Math.round(100 * severity * (contributing[0] as Weighed).p);
    factors.push({
      kind: 'corroboration',
      description: `${contributing.length} independent reports agree; combined as independent evidence (noisy-OR), the strongest alone gives ${alone} and all together ${score}.`,
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

  let confidence = confidenceOf(bestPerOrigin(direct), rules);
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

/** Strongest first; on a tie the indicator's own entry before a containing range, host or parent. */
function strongestFirst(a: Weighed, b: Weighed): number {
  return b.p - a.p || (a.relation === null ? 0 : 1) - (b.relation === null ? 0 : 1);
}

/** The strongest entry of each report: what counts as one independent source. */
function bestPerOrigin(list: readonly Weighed[]): readonly Weighed[] {
  let best: Map<string, Weighed> | null = null;
  for (const w of list) {
    if (w.origin === null) continue;
    best ??= new Map();
    const b = best.get(w.origin);
    if (b === undefined || w.p > b.p) best.set(w.origin, w);
  }
  if (best === null) return list;
  const kept = best;
  return list.filter((w) => w.origin === null || kept.get(w.origin) === w);
}
