import { createHash } from 'node:crypto';

/** RFC 9562 UUIDv5 (SHA-1, name-based): the same namespace and name always give the same id. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (ns.length !== 16) throw new TypeError(`namespace must be a UUID, got ${JSON.stringify(namespace)}`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Namespace of Verdict's hunting rule ids; never change it, or every rule id changes. */
export const SIGMA_RULE_NAMESPACE = '6f1d3c2a-8b4e-5a7f-9c10-3e2d4b5a6c7d';
