// Property tests (fast-check): idempotent normalization, refang ∘ defang = id on canonical
// values, detection agrees with the type a value was normalized as, and extraction never throws
// and only reports canonical values at in-bounds offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { extract, INDICATOR_ROLES, normalize, parseIndicator, refang, STORED_TYPES, type IndicatorType, type StoredType } from '../../src/indicators/index.ts';
import { COMMON_FILE_BASENAMES } from '../../src/indicators/rules.ts';

const RUNS = { numRuns: 300 };
const TLDS = ['com', 'net', 'org', 'de', 'co.uk', 'io', 'zip', 'xn--fiqs8s', 'xn--p1ai', 'info', 'top', 'github.io'];
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
const domainArb = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom(...TLDS)).map(([ls, tld]) => `${ls.join('.')}.${tld}`);
const hex = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${n}}$`));
const pathArb = fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), { maxLength: 3 }).map((ps) => (ps.length ? `/${ps.join('/')}` : ''));
const urlArb = fc
  .tuple(fc.constantFrom('http', 'https', 'ftp', 'HTTP', 'tcp'), fc.oneof(domainArb, fc.ipV4()), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), pathArb)
  .map(([s, h, p, path]) => `${s}://${h}${p === undefined ? '' : `:${p}`}${path}`);
// A leading - or + reads as a bullet or flag in free text (see docs/indicators.md), so locals start with a word character.
const emailArb = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_+-]{0,9}(?:\.[A-Za-z0-9_+-]{1,10})?$/), domainArb).map(([l, d]) => `${l}@${d}`);

/** Values that are (mostly) valid for each lookup type, in varied, non-canonical spellings. */
const VALUE_ARBS: Record<IndicatorType, fc.Arbitrary<string>> = {
  ipv4: fc.ipV4(),
  ipv6: fc.ipV6(),
  domain: fc.tuple(domainArb, fc.boolean()).map(([d, dot]) => (dot ? `${d.toUpperCase()}.` : d)),
  url: urlArb,
  md5: hex(32),
  sha1: hex(40),
  sha256: hex(64),
  sha512: hex(128),
  cve: fc.tuple(fc.integer({ min: 1999, max: 2030 }), fc.integer({ min: 1000, max: 9999999 })).map(([y, n]) => `cve-${y}-${n}`),
  'mitre-attack': fc.oneof(
    fc.integer({ min: 1000, max: 1999 }).map((n) => `t${n}`),
    fc.tuple(fc.integer({ min: 1000, max: 1999 }), fc.integer({ min: 1, max: 999 })).map(([n, s]) => `T${n}.${String(s).padStart(3, '0')}`),
    fc.integer({ min: 1, max: 43 }).map((n) => `ta${String(n).padStart(4, '0')}`),
  ),
  email: emailArb,
  // Detection needs the `AS` prefix (a bare number is never detected as one).
  asn: fc.tuple(fc.constantFrom('AS', 'as', 'ASN ', 'ASN', 'AS '), fc.integer({ min: 1, max: 4294967295 })).map(([p, n]) => `${p}${n}`),
};
const LOOKUP_TYPES = Object.keys(VALUE_ARBS) as IndicatorType[];
const typedValue = fc.constantFrom(...LOOKUP_TYPES).chain((t) => VALUE_ARBS[t].map((v) => [t, v] as const));

test('normalize is idempotent (generated indicators and arbitrary strings, every type)', () => {
  const anyType = fc.constantFrom(...STORED_TYPES);
  fc.assert(
    fc.property(fc.oneof(typedValue, fc.tuple(anyType, fc.string({ maxLength: 60 }))), ([type, raw]) => {
      const once = normalize(type as StoredType, raw);
      if (!once.ok) return;
      assert.deepEqual(normalize(type as StoredType, once.value), once);
    }),
    { numRuns: 1000 },
  );
});

test('generated indicators are accepted (the generators and validators agree)', () => {
  fc.assert(
    fc.property(typedValue, ([type, raw]) => {
      assert.equal(normalize(type, raw).ok, true, `${type} ${raw}`);
    }),
    RUNS,
  );
});

/** Defangs a canonical value in one of the common styles. */
const DOT_STYLES = ['[.]', '(.)', '{.}', '[dot]', '(dot)', ' [.] ', '\\.', '<.>', '[[.]]', '(.]', ' ( . ) ', '{DOT}'];
function defang(value: string, style: number): string {
  const dot = DOT_STYLES[style % DOT_STYLES.length] as string;
  let out = value.replace(/^http/, style % 2 === 0 ? 'hxxp' : 'hXXp').replace(/^ftp/, 'fxp');
  out = out.replace('://', style % 3 === 0 ? '[://]' : '[:]//');
  out = out.replace('@', style % 2 === 0 ? '[@]' : '(at)');
  return out.replaceAll('.', dot);
}

test('refang(defang(x)) == x for canonical indicators', () => {
  fc.assert(
    fc.property(typedValue, fc.nat(), ([type, raw], style) => {
      const n = normalize(type, raw);
      if (!n.ok) return;
      const defanged = defang(n.value, style);
      assert.equal(refang(defanged), n.value, `${type}: ${defanged}`);
      assert.deepEqual(parseIndicator(defanged), { ok: true, type, value: n.value });
    }),
    RUNS,
  );
});

test('detect(normalize(x)) is the type x was normalized as', () => {
  fc.assert(
    fc.property(typedValue, ([type, raw]) => {
      const n = normalize(type, raw);
      if (!n.ok) return;
      assert.deepEqual(parseIndicator(n.value), { ok: true, type, value: n.value });
    }),
    RUNS,
  );
});

test('the IPv6 formatter agrees with ipaddr.js on the address', () => {
  fc.assert(
    // ipaddr.js reads `::a.b.c.d` as IPv4-mapped, so dotted tails are covered by the table tests instead.
    fc.property(fc.ipV6().filter((raw) => !raw.includes('.')), (raw) => {
      const n = normalize('ipv6', raw);
      assert.equal(n.ok, true, raw);
      if (!n.ok) return;
      assert.equal(ipaddr.IPv6.parse(n.value).toNormalizedString(), ipaddr.IPv6.parse(raw).toNormalizedString());
      // RFC 5952: lower case, no leading zeros, at most one "::"
      assert.doesNotMatch(n.value, /[A-F]|(?:^|:)0[0-9a-f]|::.*::/);
    }),
    { numRuns: 1000 },
  );
});

const SEPARATORS = [' ', '\n', ', ', '"', '(', ')', '[', ']', '<', '>', '/', ':', '.', '@', '=', ';', '\t', '。', '．'];
const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ maxLength: 200 }),
  fc.array(fc.oneof(typedValue.map(([, v]) => v), fc.constantFrom(...SEPARATORS), fc.string({ maxLength: 5 })), { maxLength: 30 }).map((xs) => xs.join('')),
  fc.array(typedValue.map(([, v]) => defang(v, v.length)), { maxLength: 10 }).map((xs) => xs.join(' ')),
);

test('extraction never throws and reports canonical values at in-bounds offsets', () => {
  fc.assert(
    fc.property(textArb, fc.boolean(), fc.boolean(), (text, doRefang, parts) => {
      const found = extract(text, { refang: doRefang, includeParts: parts });
      for (const x of found) {
        assert.ok(x.start >= 0 && x.start < x.end && x.end <= text.length, `offsets ${x.start}-${x.end} in ${text.length}`);
        assert.deepEqual(normalize(x.type, x.value), { ok: true, value: x.value }, `${x.type} ${x.value} is canonical`);
        assert.ok(INDICATOR_ROLES.includes(x.role), `role ${x.role}`);
        if (x.partOf) assert.equal(parts, true);
      }
    }),
    { numRuns: 500 },
  );
});

test('every generated indicator standing alone in text is extracted as itself', () => {
  fc.assert(
    fc.property(typedValue, ([type, raw]) => {
      const n = normalize(type, raw);
      // IPv6 without a digit (`::`, `a::b`) is not extracted from text: it reads as code (`std::x`).
      if (!n.ok || (type === 'ipv6' && !/\d/.test(n.value))) return;
      // `AS1`–`AS9` in text are more often other things (the EDI standards AS2 and AS4, ActionScript 3).
      if (type === 'asn' && n.value.length === 3) return assert.deepEqual(extract(`see ${n.value} now`), [], n.value);
      // `name.zip` in prose is a domain, unless its base name is a usual file name (`setup.zip`);
      // after a command that takes a file it is a file, and defanged it is always a domain.
      const fileLike = type === 'domain' && /^[^.]+\.zip$/.test(n.value);
      if (fileLike) {
        assert.deepEqual(extract(`$ unzip ${n.value}`), [], n.value);
        assert.deepEqual(extract(`see ${n.value.replace('.', '[.]')} now`).map((x) => x.value), [n.value]);
        if (COMMON_FILE_BASENAMES.has(n.value.slice(0, n.value.indexOf('.')))) return;
      }
      const found = extract(`see ${n.value} now`, { includeParts: false });
      assert.deepEqual(found.map((x) => [x.type, x.value]), [[type, n.value]]);
    }),
    RUNS,
  );
});
