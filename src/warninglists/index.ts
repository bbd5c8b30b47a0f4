/** Warning lists: known-benign and special values (MISP warninglists), compiled once, matched fast. */
export { loadWarninglists, checkList, WarninglistError } from './load.ts';
export { compileWarninglists, hostOf } from './compile.ts';
export type { Warninglists, WarninglistMatch, WarninglistSource, WarninglistFile, WarninglistSummary } from './types.ts';
