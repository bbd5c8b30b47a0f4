/**
 * The risk model's parameters (data/scoring.json), checked once at start-up. A bad file fails
 * with a message naming the field; nothing in the model has a hidden default.
 */
import { STORED_TYPES, type StoredType } from '../indicators/types.ts';
import { CONFIDENCE_LEVELS, CONTEXT_RELATIONS, RELIABILITIES, RISK_LEVELS, THREAT_TYPES, type ConfidenceLevel, type ContextRelation, type Reliability, type RiskLevel, type ThreatType } from '../model.ts';

export interface DecayRule {
  lifetimeDays: number;
  /** 1 is linear; higher values fade faster early on. */
  speed: number;
}

export interface ConfidenceRule {
  /** How many independent sources must agree… */
  sources: number;
  /** …each at least this reliable (A best). */
  minReliability: Reliability;
}

export interface SeverityModifier {
  threatType: ThreatType;
  attribute: string;
  equals: string;
  severity: number;
  reason: string;
}

export interface ScoringRules {
  reliability: Readonly<Record<Reliability, number>>;
  unstatedConfidence: number;
  delistedWeight: number;
  /** Entries the source marks inactive (`status` in these, lower case) or whose stated validity has ended weigh `inactiveWeight`. */
  status: { inactive: ReadonlySet<string>; inactiveWeight: number };
  contextWeight: Readonly<Record<ContextRelation, number>>;
  severity: Readonly<Record<ThreatType, number>>;
  unknownThreatTypeSeverity: number;
  severityModifiers: readonly SeverityModifier[];
  credibleProbability: number;
  decay: Readonly<Record<StoredType, DecayRule | null>>;
  levels: Readonly<{ medium: number; high: number; critical: number }>;
  confidence: {
    freshDecayMin: number;
    statedConfidenceMin: number;
    high: readonly ConfidenceRule[];
    medium: readonly ConfidenceRule[];
    override: ConfidenceLevel;
  };
  warninglists: { capUrlHosts: boolean; caps: Readonly<Record<string, RiskLevel>> };
  overrides: Readonly<Record<'allow' | 'deny', RiskLevel>>;
}

export class ScoringRulesError extends Error {
  constructor(message: string) {
    super(`scoring rules: ${message}`);
    this.name = 'ScoringRulesError';
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ScoringRulesError(`${at} must be an object`);
  return v as Obj;
}
function num(v: unknown, at: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ScoringRulesError(`${at} must be a number from ${min} to ${max}`);
  return v;
}
function oneOf<T extends string>(v: unknown, allowed: readonly T[], at: string): T {
  if (!(allowed as readonly unknown[]).includes(v)) throw new ScoringRulesError(`${at} must be one of ${allowed.join(', ')}`);
  return v as T;
}
function unit(v: unknown, at: string): number {
  return num(v, at, 0, 1);
}
function everyKey<K extends string, V>(o: Obj, keys: readonly K[], at: string, read: (v: unknown, at: string) => V): Record<K, V> {
  const out = {} as Record<K, V>;
  for (const k of keys) {
    if (!Object.hasOwn(o, k)) throw new ScoringRulesError(`${at}.${k} is missing`);
    out[k] = read(o[k], `${at}.${k}`);
  }
  for (const k of Object.keys(o)) if (!(keys as readonly string[]).includes(k)) throw new ScoringRulesError(`${at}.${k} is not a known key`);
  return out;
}

function confidenceRules(v: unknown, at: string): ConfidenceRule[] {
  if (!Array.isArray(v)) throw new ScoringRulesError(`${at} must be an array`);
  return v.map((r, i) => {
    const o = obj(r, `${at}[${i}]`);
    return { sources: num(o['sources'], `${at}[${i}].sources`, 1, 100), minReliability: oneOf(o['minReliability'], RELIABILITIES, `${at}[${i}].minReliability`) };
  });
}

function statusRules(v: unknown): ScoringRules['status'] {
  const o = obj(v, 'status');
  const list = o['inactive'];
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x.trim() === '')) throw new ScoringRulesError('status.inactive must be an array of status words');
  return { inactive: new Set(list.map((x: string) => x.trim().toLowerCase())), inactiveWeight: unit(o['inactiveWeight'], 'status.inactiveWeight') };
}

export function parseScoringRules(raw: unknown): ScoringRules {
  const r = obj(raw, 'the file');
  const levels = everyKey(obj(r['levels'], 'levels'), ['medium', 'high', 'critical'] as const, 'levels', (v, at) => num(v, at, 1, 100));
  if (!(levels.medium < levels.high && levels.high < levels.critical)) throw new ScoringRulesError('levels must rise: medium < high < critical');
  const conf = obj(r['confidence'], 'confidence');
  const wl = obj(r['warninglists'], 'warninglists');
  const caps: Record<string, RiskLevel> = {};
  for (const [id, level] of Object.entries(obj(wl['caps'], 'warninglists.caps'))) caps[id] = oneOf(level, RISK_LEVELS, `warninglists.caps.${id}`);
  if (!Array.isArray(r['severityModifiers'])) throw new ScoringRulesError('severityModifiers must be an array');
  return {
    reliability: everyKey(obj(r['reliability'], 'reliability'), RELIABILITIES, 'reliability', unit),
    unstatedConfidence: unit(r['unstatedConfidence'], 'unstatedConfidence'),
    delistedWeight: unit(r['delistedWeight'], 'delistedWeight'),
    status: statusRules(r['status']),
    contextWeight: everyKey(obj(r['contextWeight'], 'contextWeight'), CONTEXT_RELATIONS, 'contextWeight', unit),
    severity: everyKey(obj(r['severity'], 'severity'), THREAT_TYPES, 'severity', unit),
    unknownThreatTypeSeverity: unit(r['unknownThreatTypeSeverity'], 'unknownThreatTypeSeverity'),
    severityModifiers: (r['severityModifiers'] as unknown[]).map((m, i) => {
      const o = obj(m, `severityModifiers[${i}]`);
      const at = `severityModifiers[${i}]`;
      if (typeof o['attribute'] !== 'string' || typeof o['equals'] !== 'string') throw new ScoringRulesError(`${at} needs string "attribute" and "equals"`);
      return {
        threatType: oneOf(o['threatType'], THREAT_TYPES, `${at}.threatType`),
        attribute: o['attribute'],
        equals: o['equals'],
        severity: unit(o['severity'], `${at}.severity`),
        reason: typeof o['reason'] === 'string' ? o['reason'] : `${o['attribute']} is ${o['equals']}`,
      };
    }),
    // Above zero: weaker reports are scaled by their weight over this one.
    credibleProbability: num(r['credibleProbability'], 'credibleProbability', 0.001, 1),
    decay: everyKey(obj(r['decay'], 'decay'), STORED_TYPES, 'decay', (v, at) => {
      if (v === null) return null;
      const o = obj(v, at);
      return { lifetimeDays: num(o['lifetimeDays'], `${at}.lifetimeDays`, 0.001, 36500), speed: num(o['speed'], `${at}.speed`, 0.01, 100) };
    }),
    levels,
    confidence: {
      freshDecayMin: unit(conf['freshDecayMin'], 'confidence.freshDecayMin'),
      statedConfidenceMin: num(conf['statedConfidenceMin'], 'confidence.statedConfidenceMin', 0, 100),
      high: confidenceRules(conf['high'], 'confidence.high'),
      medium: confidenceRules(conf['medium'], 'confidence.medium'),
      override: oneOf(conf['override'], CONFIDENCE_LEVELS, 'confidence.override'),
    },
    warninglists: { capUrlHosts: wl['capUrlHosts'] === true, caps },
    overrides: everyKey(obj(r['overrides'], 'overrides'), ['allow', 'deny'] as const, 'overrides', (v, at) => oneOf(v, RISK_LEVELS, at)),
  };
}
