import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Server-side request forgery guard for webhook URLs (docs/webhooks.md#addresses): the host is
 * resolved first and every address it resolves to must be public. Loopback, private, shared,
 * link-local, unique-local, multicast, reserved and documentation ranges are refused, for IPv4
 * and IPv6, including IPv4 written inside IPv6 (`::ffff:127.0.0.1`, NAT64 `64:ff9b::/96`),
 * unless `LOUPE_WEBHOOK_ALLOW_HOSTS` names the host (comma-separated host names or addresses).
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64], ['2001::', 23],
] as const) blocked.addSubnet(net, bits, 'ipv6');

/** The IPv4 address carried in an IPv4-mapped, -compatible or NAT64 IPv6 address, if any. */
export function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::|::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return !blocked.check(v4, 'ipv4');
    return !blocked.check(address, 'ipv6');
  }
  return false;
}

export const allowedHosts = (env: NodeJS.ProcessEnv = process.env) =>
  new Set((env.LOUPE_WEBHOOK_ALLOW_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));

export class AddressRefused extends Error {}

/**
 * Resolves `hostname` and returns the address to connect to, or throws `AddressRefused`. The
 * caller connects to exactly this address (no second lookup an attacker's DNS could answer
 * differently).
 */
export async function resolveDeliveryAddress(hostname: string, allow = allowedHosts()): Promise<{ address: string; family: 4 | 6 }> {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const answers = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : await lookup(host, { all: true, verbatim: true });
  if (!answers.length) throw new AddressRefused(`${host} does not resolve`);
  if (!allow.has(host)) {
    const bad = answers.find((a) => !isPublicAddress(a.address));
    if (bad) throw new AddressRefused(`${host} resolves to ${bad.address}, a private, loopback, link-local or reserved address (allow it with LOUPE_WEBHOOK_ALLOW_HOSTS)`);
  }
  const first = answers[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
