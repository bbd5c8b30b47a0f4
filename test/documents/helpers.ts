/** Shared by the document tests: reading a fixture, and indicators as short lines to compare. */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { extractFromDocument, readDocument, type Document, type DocumentIndicator, type ReadOptions } from '../../src/documents/index.ts';

export const FIXTURES = new URL('../fixtures/documents/', import.meta.url);

export function fixture(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

/** Reads bytes that must be readable. */
export async function readOk(bytes: Uint8Array, options: ReadOptions = {}): Promise<Document> {
  const r = await readDocument(bytes, options);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.document;
}

/** `source role type value` (with `page N` and `in a/b` when set), the way the assertions read. */
export function brief(x: DocumentIndicator): string {
  const where = [x.source, x.page !== undefined ? `page ${x.page}` : null, x.within ? `in ${x.within.join('/')}` : null].filter((w) => w !== null).join(' ');
  return `${where} | ${x.role} ${x.type} ${x.value}`;
}

export function briefs(document: Document, types?: DocumentIndicator['type'][]): string[] {
  return extractFromDocument(document, types ? { types } : {}).map(brief);
}

/** Every indicator with offsets points at its value's text in its part. */
export function assertOffsetsHold(document: Document): void {
  for (const x of extractFromDocument(document, { includeParts: false })) {
    if (x.part === undefined) continue;
    const part = document.parts[x.part];
    assert.ok(part, `part ${x.part} exists`);
    assert.ok(x.start !== undefined && x.end !== undefined && x.start >= 0 && x.end <= part.text.length && x.start < x.end, `${brief(x)}: offsets in bounds`);
    assert.ok(part.text.slice(x.start, x.end).length > 0);
  }
}
