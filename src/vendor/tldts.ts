/**
 * tldts, as Verdict uses it. Its package's entry point for Node is one 220 KB CommonJS file, which
 * Node scans for its exports before it runs (~70 ms of every command that reads a domain name);
 * scripts/build.mjs replaces this module's compiled output with one ES module bundled from the
 * package's own ES build (the sources and the tests use the package as it is).
 */
export { getDomain, parse } from 'tldts';
