/**
 * docs/hunting.md shows the generated queries for every type and platform. Each example block
 * follows a `<!-- example: <type> <platform> -->` marker and must equal the builder's output,
 * so the documentation cannot drift from behaviour. UPDATE_GOLDEN=1 rewrites the blocks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { HUNTING_PLATFORMS, type HuntingPlatform } from '../../src/model.ts';
import type { IndicatorType } from '../../src/indicators/types.ts';
import { TYPES, sampleInput } from './samples.ts';

const DOC = new URL('../../docs/hunting.md', import.meta.url);
const BLOCK = /<!-- example: (\S+) (\S+) -->\n```(\w*)\n([\s\S]*?)```\n/g;
const builder = createHuntingQueryBuilder();

function generated(type: string, platform: string): string {
  const text = builder.build(sampleInput(type as IndicatorType), [platform as HuntingPlatform])[platform as HuntingPlatform]!;
  return text.endsWith('\n') ? text : `${text}\n`;
}

describe('docs/hunting.md', () => {
  it('shows the current output for every type and platform', () => {
    let doc = readFileSync(DOC, 'utf8');
    if (process.env.UPDATE_GOLDEN === '1') {
      doc = doc.replace(BLOCK, (_m, type: string, platform: string, lang: string) => `<!-- example: ${type} ${platform} -->\n\`\`\`${lang}\n${generated(type, platform)}\`\`\`\n`);
      writeFileSync(DOC, doc);
    }
    const seen = new Set<string>();
    for (const m of doc.matchAll(BLOCK)) {
      const [, type, platform, , body] = m;
      assert.equal(body, generated(type!, platform!), `example ${type} ${platform} is stale; run with UPDATE_GOLDEN=1`);
      seen.add(`${type} ${platform}`);
    }
    for (const type of TYPES) for (const p of HUNTING_PLATFORMS) assert.ok(seen.has(`${type} ${p}`), `docs lack the ${type} ${p} example`);
  });
});
