// The deployer's public IPv4 address, for the optional "allow me" firewall rule.
// PG_ADX_CDC_DEPLOYER_IP overrides the lookup (CI runners, proxies, offline previews).
import * as pulumi from "@pulumi/pulumi";
import { parseIpv4Cidr } from "../config/ipv4Cidr";

/**
 * Options of the deployer's firewall rule. A preview in CI runs on a pull request's runner, whose
 * address is not the deployer's: there the rule's range is left as deployed, so a PR preview never
 * plans a firewall change for the runner. A real `up` (or a local preview) uses the looked-up address.
 */
export function deployerRuleOptions(env: NodeJS.ProcessEnv = process.env, dryRun: boolean = pulumi.runtime.isDryRun()): pulumi.CustomResourceOptions {
    return dryRun && env.CI ? { ignoreChanges: ["startIpAddress", "endIpAddress"] } : {};
}

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
