// The benchmark's picture: p50 and p99 change-to-topic latency by offered rate, both profiles,
// as an SVG (log-scale latency axis, so both profiles stay readable).
import { CHART_FRAME, chartHeader } from "./svgChart";

export interface ChartPoint {
    profile: string;
    rate: number;
    p50: number;
    p99: number;
}

export function renderLatencyChart(points: ChartPoint[], title: string): string {
    const { width, height, left, right, top, bottom } = CHART_FRAME;
    const rates = [...new Set(points.map((p) => p.rate))].sort((a, b) => a - b);
    const values = points.flatMap((p) => [p.p50, p.p99]).filter((v) => Number.isFinite(v) && v > 0);
    const minV = Math.pow(
        10,
        Math.floor(
            Math.log10(
                Math.max(
                    1,
                    values.reduce((a, b) => Math.min(a, b), Infinity),
                ),
            ),
        ),
    );
    const maxV = Math.pow(10, Math.ceil(Math.log10(values.reduce((a, b) => Math.max(a, b), 1))));
    const x = (rate: number) => left + (rates.indexOf(rate) + 0.5) * ((width - left - right) / rates.length);
    const y = (v: number) => top + (1 - (Math.log10(Math.max(v, minV)) - Math.log10(minV)) / (Math.log10(maxV) - Math.log10(minV))) * (height - top - bottom);
    const colors: Record<string, string> = { quickstart: "#c0392b", tuned: "#1f77b4" };
    const parts: string[] = [...chartHeader(title)];
    for (let v = minV; v <= maxV; v *= 10) {
        parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`, `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v} ms</text>`);
    }
    for (const r of rates) parts.push(`<text x="${x(r)}" y="${height - bottom + 20}" text-anchor="middle">${r}/s</text>`);
    parts.push(`<text x="${(left + width - right) / 2}" y="${height - 15}" text-anchor="middle">offered changes per second</text>`);
    const profiles = [...new Set(points.map((p) => p.profile))];
    profiles.forEach((profile, i) => {
        const color = colors[profile] ?? "#555";
        const series = points.filter((p) => p.profile === profile).sort((a, b) => a.rate - b.rate);
        for (const [metric, dash] of [
            ["p50", ""],
            ["p99", "6,4"],
        ] as const) {
            const path = series.map((p, j) => `${j === 0 ? "M" : "L"}${x(p.rate)},${y(p[metric])}`).join(" ");
            parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2.5" stroke-dasharray="${dash}"/>`);
            for (const p of series)
                parts.push(`<circle cx="${x(p.rate)}" cy="${y(p[metric])}" r="4" fill="${color}"><title>${profile} ${metric} @${p.rate}/s: ${p[metric]} ms</title></circle>`);
        }
        const ly = top + 20 + i * 44;
        parts.push(
            `<line x1="${width - right + 20}" x2="${width - right + 50}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"/>`,
            `<text x="${width - right + 56}" y="${ly + 4}">${profile} p50</text>`,
            `<line x1="${width - right + 20}" x2="${width - right + 50}" y1="${ly + 18}" y2="${ly + 18}" stroke="${color}" stroke-width="2.5" stroke-dasharray="6,4"/>`,
            `<text x="${width - right + 56}" y="${ly + 22}">${profile} p99</text>`,
        );
    });
    parts.push("</svg>");
    return parts.join("\n");
}
