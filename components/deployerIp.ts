// The deployer's public IPv4 address, for the optional "allow me" firewall rule.
// PG_ADX_CDC_DEPLOYER_IP overrides the lookup (CI runners, proxies, offline previews).
import { parseIpv4Cidr } from "./config";

export async function lookupDeployerIp(): Promise<string> {
    const override = process.env.PG_ADX_CDC_DEPLOYER_IP;
    if (override) {
        if (!parseIpv4Cidr(override) || override.includes("/")) throw new Error(`PG_ADX_CDC_DEPLOYER_IP must be one IPv4 address (got "${override}")`);
        return override;
    }
    const axios = require("axios");
    try {
        const response = await axios.get("https://api.ipify.org", { timeout: 10_000, responseType: "text" });
        const ip = String(response.data).trim();
        if (!parseIpv4Cidr(ip)) throw new Error(`unexpected answer "${ip.slice(0, 40)}"`);
        return ip;
    } catch (error: any) {
        throw new Error(`could not determine the deployer's public IP (${error.message}); set PG_ADX_CDC_DEPLOYER_IP or set pg-adx-cdc:postgres.allowDeployerIp to false`);
    }
}
