/**
 * ipaddr.js, as Verdict uses it: bundled by scripts/build.mjs into one ES module (the package is
 * CommonJS, which Node scans for its exports at every start). Every module imports it from here,
 * so that one copy is loaded and its address objects are of one class.
 */
import ipaddr from 'ipaddr.js';

export default ipaddr;
