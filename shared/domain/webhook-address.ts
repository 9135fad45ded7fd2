import { BlockList, isIP } from 'node:net';

/**
 * Where a tenant's webhook may point (SSRF): only public unicast addresses. Private, loopback,
 * link-local (and with it the instance metadata service), CGNAT, multicast, unspecified,
 * documentation and reserved ranges are refused, in IPv4 and IPv6, and an IPv6 address that
 * carries an IPv4 one (IPv4-mapped, NAT64) is judged by the IPv4 address inside.
 */
const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT (and Alibaba's metadata address)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, EC2/ECS instance metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
  ['168.63.129.16', 32], // Azure's host metadata address
];

/** IPv6 outside these is refused outright; inside, the blocked ranges below still apply. */
const GLOBAL_UNICAST_V6: readonly [string, number][] = [['2000::', 3]];

const BLOCKED_V6: readonly [string, number][] = [
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: tunnels to an IPv4 address we do not see
  ['3fff::', 20], // documentation
];

const blockedV4 = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blockedV4.addSubnet(net, prefix, 'ipv4');
const globalV6 = new BlockList();
for (const [net, prefix] of GLOBAL_UNICAST_V6) globalV6.addSubnet(net, prefix, 'ipv6');
const blockedV6 = new BlockList();
for (const [net, prefix] of BLOCKED_V6) blockedV6.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address an IPv6 one carries: IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d). */
function embeddedV4(address: string): string | undefined {
  const words = expandV6(address);
  if (!words) return undefined;
  const prefix = words.slice(0, 6).map((w) => w.toString(16)).join(':');
  if (prefix !== '0:0:0:0:0:ffff' && prefix !== '64:ff9b:0:0:0:0') return undefined;
  const [hi, lo] = [words[6] as number, words[7] as number];
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** An IPv6 address as eight 16-bit words (dotted IPv4 tails included), or undefined. */
function expandV6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const bytes = (dotted[1] as string).split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const words = [...left, ...Array<string>(fill).fill('0'), ...right].map((w) => parseInt(w, 16));
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}

/** True when `address` (an IP literal, IPv6 without brackets) is loopback: 127.0.0.0/8, ::1, or mapped. */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.');
  if (family !== 6) return false;
  const v4 = embeddedV4(address);
  if (v4) return isLoopbackAddress(v4);
  const words = expandV6(address);
  return words !== undefined && words.slice(0, 7).every((w) => w === 0) && words[7] === 1;
}

/** True when a webhook may connect to `address`: a public unicast IPv4 or IPv6 address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blockedV4.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedV4(address);
  if (v4) return isPublicAddress(v4);
  return globalV6.check(address, 'ipv6') && !blockedV6.check(address, 'ipv6');
}

/** The host of a URL as an IP literal (IPv6 without brackets), or undefined for a name. */
export function ipLiteralOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : undefined;
}
