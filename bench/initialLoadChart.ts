// The initial-load bench's picture: rows/s reaching ADX over the load's time, one line per profile, as
// an SVG (linear axes: the area under a line is the table).
import { CHART_FRAME, chartHeader } from "./svgChart";

export interface LoadTimelinePoint {
    /** Seconds since the connector was registered. */
    seconds: number;
    /** Keys of the table queryable in ADX by then. */
    rowsInAdx: number;
}

/** Rows/s over a trailing window of `windowSeconds` at each point of a timeline (its first point: 0). */
export function rowsPerSecondOverTime(samples: LoadTimelinePoint[], windowSeconds = 10): { seconds: number; rowsPerSecond: number }[] {
    const timeline = [...samples].sort((a, b) => a.seconds - b.seconds);
    return timeline.map((p, i) => {
        // At least the previous point: samples further apart than the window still give a rate.
        let j = Math.max(0, i - 1);
        while (j > 0 && timeline[j - 1].seconds >= p.seconds - windowSeconds) j--;
        const span = p.seconds - timeline[j].seconds;
        return { seconds: p.seconds, rowsPerSecond: span > 0 ? Math.round((p.rowsInAdx - timeline[j].rowsInAdx) / span) : 0 };
    });
}

const COLORS = ["#c0392b", "#1f77b4", "#2ca02c", "#9467bd"];

export function renderInitialLoadChart(series: { profile: string; timeline: LoadTimelinePoint[] }[], title: string): string {
    const { width, height, left, right, top, bottom } = CHART_FRAME;
    const rates = series.map((s) => ({ profile: s.profile, points: rowsPerSecondOverTime(s.timeline) }));
    const maxSeconds = Math.max(1, ...rates.flatMap((s) => s.points.map((p) => p.seconds)));
    const maxRate = Math.max(1, ...rates.flatMap((s) => s.points.map((p) => p.rowsPerSecond)));
    const step = (max: number) => {
        const raw = max / 5;
        const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
    };
    const xStep = step(maxSeconds),
        yStep = step(maxRate);
    const xMax = Math.ceil(maxSeconds / xStep) * xStep,
        yMax = Math.ceil(maxRate / yStep) * yStep;
    const x = (s: number) => left + (s / xMax) * (width - left - right);
    const y = (r: number) => top + (1 - r / yMax) * (height - top - bottom);
    const parts: string[] = [...chartHeader(title)];
    for (let v = 0; v <= yMax; v += yStep)
        parts.push(
            `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
            `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toLocaleString("en-US")}</text>`,
        );
    for (let s = 0; s <= xMax; s += xStep) parts.push(`<text x="${x(s)}" y="${height - bottom + 20}" text-anchor="middle">${s} s</text>`);
    parts.push(
        `<text x="${(left + width - right) / 2}" y="${height - 15}" text-anchor="middle">seconds since the connector was registered</text>`,
        `<text x="18" y="${(top + height - bottom) / 2}" transform="rotate(-90 18 ${(top + height - bottom) / 2})" text-anchor="middle">rows/s into ADX (10 s window)</text>`,
    );
    rates.forEach((s, i) => {
        const color = COLORS[i % COLORS.length];
        const path = s.points.map((p, j) => `${j === 0 ? "M" : "L"}${x(p.seconds).toFixed(1)},${y(p.rowsPerSecond).toFixed(1)}`).join(" ");
        parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
        const ly = top + 20 + i * 24;
        parts.push(
            `<line x1="${width - right + 20}" x2="${width - right + 50}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
            `<text x="${width - right + 58}" y="${ly + 4}">${s.profile}</text>`,
        );
    });
    parts.push("</svg>");
    return parts.join("\n");
}
