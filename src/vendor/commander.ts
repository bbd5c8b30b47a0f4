/**
 * commander, as the command line uses it: bundled by scripts/build.mjs into one ES module (the
 * package is CommonJS behind an ES wrapper, which Node scans for its exports at every start).
 */
export { Command, InvalidArgumentError, Option } from 'commander';
