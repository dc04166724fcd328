// The benchmarks' SVG charts share one frame: size, margins (the legend sits in the right one) and title.

export const CHART_FRAME = { width: 760, height: 420, left: 80, right: 200, top: 50, bottom: 60 } as const;

/** The opening elements of a chart: the SVG root in CHART_FRAME's size, a white ground and the title. */
export function chartHeader(title: string): string[] {
    const { width, height } = CHART_FRAME;
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
        `<rect width="100%" height="100%" fill="white"/>`,
        `<text x="${width / 2 - 60}" y="24" font-size="15" text-anchor="middle">${title}</text>`,
    ];
}
