// IPv4 ranges as the firewall settings write them ("203.0.113.7/32", or a bare address), and the rule
// every firewall setting of the stack applies (PostgreSQL's, Event Hubs').
import { z } from "zod";
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

/** Broadest firewall rule accepted: a /8 is already 16 million addresses; anything wider is "the internet". */
export const MIN_FIREWALL_PREFIX = 8;

/** A firewall entry for `service`: an IPv4 address or CIDR, not Azure's allow-all-services rule, not the internet. */
export function firewallCidrSchema(service: string) {
    return z.string().superRefine((value, ctx) => {
        const parsed = parseIpv4Cidr(value);
        if (!parsed) {
            ctx.addIssue({ code: "custom", message: `"${value}" is not an IPv4 address or CIDR; use e.g. "203.0.113.7/32"` });
        } else if (parsed.start === "0.0.0.0" && parsed.prefix === 32) {
            ctx.addIssue({
                code: "custom",
                message: `"${value}" is Azure's "allow all Azure services" rule, which admits every tenant's hosts; list the Connect host's address instead`,
            });
        } else if (parsed.prefix < MIN_FIREWALL_PREFIX) {
            ctx.addIssue({
                code: "custom",
                message: `"${value}" opens ${service} to ${parsed.start}-${parsed.end}, i.e. the internet; list the Connect host's address (a /${MIN_FIREWALL_PREFIX} or narrower)`,
            });
        }
    });
}
