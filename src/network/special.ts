/**
 * Special-purpose address blocks that belong to no public network (IANA's IPv4 and IPv6
 * special-purpose registries, the blocks not routed on the Internet): an address inside one has no
 * AS or country, and the answer says which block it is instead. Blocks that are routed although
 * special (AS112, AMT, 6to4, Teredo) are left to the tables.
 */
import { ipv4Number, ipv6Words } from './address.ts';

export interface SpecialBlock {
  cidr: string;
  /** Machine-readable kind, the answer's `special`. */
  kind: string;
  /** Words for a person: "a private address (RFC 1918)". */
  what: string;
}

export const SPECIAL_BLOCKS: readonly SpecialBlock[] = [
  { cidr: '0.0.0.0/8', kind: 'this_network', what: 'a "this network" address (RFC 791)' },
  { cidr: '10.0.0.0/8', kind: 'private', what: 'a private address (RFC 1918)' },
  { cidr: '100.64.0.0/10', kind: 'shared', what: 'a shared address of carrier-grade NAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', kind: 'loopback', what: 'a loopback address (RFC 1122)' },
  { cidr: '169.254.0.0/16', kind: 'link_local', what: 'a link-local address (RFC 3927)' },
  { cidr: '172.16.0.0/12', kind: 'private', what: 'a private address (RFC 1918)' },
  { cidr: '192.0.0.0/24', kind: 'reserved', what: 'an IETF protocol assignment (RFC 6890)' },
  { cidr: '192.0.2.0/24', kind: 'documentation', what: 'a documentation address (RFC 5737)' },
  { cidr: '192.168.0.0/16', kind: 'private', what: 'a private address (RFC 1918)' },
  { cidr: '198.18.0.0/15', kind: 'benchmarking', what: 'a benchmarking address (RFC 2544)' },
  { cidr: '198.51.100.0/24', kind: 'documentation', what: 'a documentation address (RFC 5737)' },
  { cidr: '203.0.113.0/24', kind: 'documentation', what: 'a documentation address (RFC 5737)' },
  { cidr: '224.0.0.0/4', kind: 'multicast', what: 'a multicast address (RFC 5771)' },
  { cidr: '240.0.0.0/4', kind: 'reserved', what: 'a reserved address (RFC 1112; 255.255.255.255 is the limited broadcast address)' },
  { cidr: '::/128', kind: 'unspecified', what: 'the unspecified address (RFC 4291)' },
  { cidr: '::1/128', kind: 'loopback', what: 'the loopback address (RFC 4291)' },
  { cidr: '64:ff9b:1::/48', kind: 'reserved', what: 'a local-use IPv4/IPv6 translation address (RFC 8215)' },
  { cidr: '100::/64', kind: 'discard', what: 'a discard-only address (RFC 6666)' },
  { cidr: '2001:2::/48', kind: 'benchmarking', what: 'a benchmarking address (RFC 5180)' },
  { cidr: '2001:db8::/32', kind: 'documentation', what: 'a documentation address (RFC 3849)' },
  { cidr: '3fff::/20', kind: 'documentation', what: 'a documentation address (RFC 9637)' },
  { cidr: 'fc00::/7', kind: 'unique_local', what: 'a unique local address (RFC 4193)' },
  { cidr: 'fe80::/10', kind: 'link_local', what: 'a link-local address (RFC 4291)' },
  { cidr: 'fec0::/10', kind: 'site_local', what: 'a site-local address, deprecated (RFC 3879)' },
  { cidr: 'ff00::/8', kind: 'multicast', what: 'a multicast address (RFC 4291)' },
];

interface V4Block {
  start: number;
  end: number;
  /** What specialIpv4 answers for the block: made once, shared by every lookup. */
  answer: Readonly<SpecialBlock & { start: number; end: number }>;
}
interface V6Block {
  start: Uint32Array;
  end: Uint32Array;
  /** What specialIpv6 answers for the block: made once, shared by every lookup. */
  answer: Readonly<SpecialBlock & { start: Uint32Array; end: Uint32Array }>;
}

function compile(): { v4: V4Block[]; v6: V6Block[] } {
  const v4: V4Block[] = [];
  const v6: V6Block[] = [];
  for (const block of SPECIAL_BLOCKS) {
    const [addr, bitsText] = block.cidr.split('/') as [string, string];
    const bits = Number(bitsText);
    if (addr.includes(':')) {
      const start = new Uint32Array(4);
      if (!ipv6Words(addr, start)) throw new Error(`special block ${block.cidr}`);
      const end = new Uint32Array(4);
      for (let k = 0; k < 4; k++) {
        const hostBits = Math.min(32, Math.max(0, 128 - bits - 32 * (3 - k)));
        const mask = hostBits === 32 ? 0xffffffff : (2 ** hostBits - 1);
        end[k] = (start[k]! | mask) >>> 0;
      }
      v6.push({ start, end, answer: Object.freeze({ ...block, start, end }) });
    } else {
      const start = ipv4Number(addr);
      if (start < 0) throw new Error(`special block ${block.cidr}`);
      const end = start + 2 ** (32 - bits) - 1;
      v4.push({ start, end, answer: Object.freeze({ ...block, start, end }) });
    }
  }
  return { v4, v6 };
}

const BLOCKS = compile();

/** The special-purpose block holding an IPv4 address (as a number), or null. */
export function specialIpv4(ip: number): Readonly<SpecialBlock & { start: number; end: number }> | null {
  for (const b of BLOCKS.v4) if (ip >= b.start && ip <= b.end) return b.answer;
  return null;
}

/** Word by word: enough for a CIDR block, whose bounds differ only in its host bits. */
function within(w: Uint32Array, start: Uint32Array, end: Uint32Array): boolean {
  for (let k = 0; k < 4; k++) if (w[k]! < start[k]! || w[k]! > end[k]!) return false;
  return true;
}

/** The special-purpose block holding an IPv6 address (four words), or null. */
export function specialIpv6(w: Uint32Array): Readonly<SpecialBlock & { start: Uint32Array; end: Uint32Array }> | null {
  for (const b of BLOCKS.v6) if (within(w, b.start, b.end)) return b.answer;
  return null;
}
