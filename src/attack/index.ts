/** The ATT&CK catalog and indicator → technique mapping. */
export { buildAttackCatalog, familyKey, type AttackCatalog, type AttackTables, type Technique, type Software, type Group, type Tactic } from './catalog.ts';
export { compileMappingRules, type MappingRules, type MappingRulesFile } from './rules.ts';
export { createTechniqueMapper, type TechniqueMapper, type MappableSighting } from './map.ts';
export { describeAttackId, type AttackDescription } from './lookup.ts';
export { loadAttackCatalog, loadMappingRules, AttackDataError } from './load.ts';
