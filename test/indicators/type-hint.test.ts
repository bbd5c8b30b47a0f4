/** Type names as clients and people write them: one reading for the API and the CLI. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE_NAMES, parseTypeHint, parseTypeName } from '../../src/indicators/type-hint.ts';
import { INDICATOR_TYPES } from '../../src/indicators/types.ts';

describe('type names', () => {
  // what a client writes → the type it names
  const known: Record<string, string> = {
    ipv4: 'ipv4',
    IPv6: 'ipv6',
    '  domain ': 'domain',
    SHA256: 'sha256',
    'mitre-attack': 'mitre-attack',
    mitre_attack: 'mitre-attack',
    MITRE_ATTACK: 'mitre-attack',
    email: 'email',
  };
  for (const [given, type] of Object.entries(known)) {
    it(`${JSON.stringify(given)} → ${type}`, () => {
      assert.deepEqual(parseTypeName(given), { ok: true, type });
    });
  }

  const unknown = ['ipv5', 'cidr', 'constructor', 'toString', '__proto__', '', 'ip v4'];
  for (const given of unknown) {
    it(`${JSON.stringify(given)} is no type, and the answer says which are`, () => {
      const r = parseTypeName(given);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.given, given);
      assert.deepEqual(r.allowed, TYPE_NAMES);
      assert.equal(r.message, `Unknown type "${given}". Allowed: ${TYPE_NAMES.join(', ')}.`);
    });
  }

  it('lists every lookup type, then the aliases', () => {
    assert.deepEqual(TYPE_NAMES, [...INDICATOR_TYPES, 'mitre_attack']);
  });

  it('echoes at most 40 characters of what it could not read', () => {
    const r = parseTypeName('x'.repeat(100));
    assert.ok(!r.ok && r.message.startsWith(`Unknown type "${'x'.repeat(40)}".`));
  });
});

describe('type hints', () => {
  for (const given of [undefined, '', '   ']) {
    it(`${JSON.stringify(given)}: no hint, the type is detected`, () => {
      assert.deepEqual(parseTypeHint(given), { ok: true, type: undefined });
    });
  }
  it('a given hint is read as a type name', () => {
    assert.deepEqual(parseTypeHint(' URL'), { ok: true, type: 'url' });
    assert.equal(parseTypeHint('ipv5').ok, false);
  });
});
