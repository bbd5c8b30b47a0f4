/** The ATT&CK catalog and indicator → technique mapping. */
export { buildAttackCatalog, familyKey, type AttackCatalog, type AttackTables, type Technique, type Software, type Group, type Tactic } from './catalog.ts';
export { compileMappingRules, type MappingRules, type MappingRulesFile } from './rules.ts';
export { createTechniqueMapper, type TechniqueMapper, type MappableSighting, type AttackMapping } from './map.ts';
export { describeAttackId, type AttackDescription } from './lookup.ts';
export { buildCtidMappings, parseCveTable, parseKevMappings, CTID_FILES, CTID_MAPPING_TYPES, CTID_SOURCES, type CtidMapping, type CtidMappings, type CtidMappingType, type CtidSource } from './ctid.ts';
export { loadAttackCatalog, loadCtidMappings, loadMappingRules, AttackDataError } from './load.ts';
