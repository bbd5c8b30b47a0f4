/**
 * TypeBox, as the routes use it. One module so that the build can pre-bundle it: TypeBox 1.x is
 * ~370 small ES modules, and loading them one by one took ~0.3 s of every `verdict serve` start;
 * scripts/build.mjs replaces this module's compiled output with one bundled file (the sources
 * and the tests use the package as it is).
 */
export { Type } from 'typebox';
export type { Static } from 'typebox';
