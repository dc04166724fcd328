// IPv4 ranges as the firewall settings write them ("203.0.113.7/32", or a bare address).
/** Parses an IPv4 CIDR ("203.0.113.7/32", or a bare address meaning /32) or returns undefined. */
export function parseIpv4Cidr(text: string): { start: string; end: string; prefix: number } | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text.trim());
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = m[5] === undefined ? 32 : Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    const start = Math.floor(address / size) * size;
    const toDotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
    return { start: toDotted(start), end: toDotted(start + size - 1), prefix };
}
