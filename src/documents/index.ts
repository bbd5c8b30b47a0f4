/**
 * Documents in, indicators out: `readDocument` reads a PDF, HTML page, email message or text file
 * into the texts it holds (each with where it came from) and its attachments' digests;
 * `extractFromDocument` runs the indicator extractor over them and says, for each indicator,
 * where in the document it was found. No I/O but the bytes given (and the PDF library's own
 * files, read when the first PDF comes).
 */
export * from './types.ts';
export { readDocument } from './read.ts';
export { sniffFormat, type Sniffed } from './sniff.ts';
export { extractFromDocument, documentIndicators, documentDistinct, documentUnits, unitIndicators, attachmentIndicators, SLICE, type Unit } from './extract.ts';
export { batchJson } from './json.ts';
export { DistinctIndicators, distinctOf, type DistinctIndicator } from './distinct.ts';
