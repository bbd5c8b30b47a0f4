import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTime } from '../../src/scoring/time.ts';

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

test('parseTime equals Date.parse on every RFC 3339 form', () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59Z'), noInvalidDate: true }),
      fc.constantFrom('', '.5', '.123', '.123456', '.0'),
      fc.constantFrom('Z', 'z', '+00:00', '+05:30', '-08:00', '+14:00'),
      fc.constantFrom('T', 't'),
      (d, frac, zone, sep) => {
        const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}${zone}`;
        assert.equal(parseTime(s), Date.parse(s), s);
      },
    ),
    { numRuns: 500 },
  );
});

test('parseTime agrees with Date.parse on odd and invalid input', () => {
  const cases = ['', 'garbage', '2026-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2026-11-30', '2026-11-30T12:00:00', '2026-11-30 12:00:00Z', '2026-13-01T00:00:00Z', '2026-11-30T24:00:00Z', '2026-11-30T12:00:00.Z', '2026-11-30T12:00:00+0530'];
  for (const s of cases) assert.ok(Object.is(parseTime(s), Date.parse(s)), `${JSON.stringify(s)}: ${parseTime(s)} vs ${Date.parse(s)}`);
});
