// The initial-load bench's chart: rows/s over a trailing window, and an SVG with one line per profile.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import { renderInitialLoadChart, rowsPerSecondOverTime } from "../../bench/initialLoadChart";

describe("initial-load chart", () => {
    it("rows/s is the rows gained over the trailing window, not since the start", () => {
        const timeline = [
            { seconds: 0, rowsInAdx: 0 },
            { seconds: 10, rowsInAdx: 0 },
            { seconds: 20, rowsInAdx: 50_000 },
            { seconds: 30, rowsInAdx: 150_000 },
        ];
        assert.deepEqual(
            rowsPerSecondOverTime(timeline).map((p) => p.rowsPerSecond),
            [0, 0, 5_000, 10_000],
        );
        // Samples further apart than the window: the rate since the previous one, not 0.
        assert.deepEqual(
            rowsPerSecondOverTime([
                { seconds: 0, rowsInAdx: 0 },
                { seconds: 20, rowsInAdx: 40_000 },
            ]).map((p) => p.rowsPerSecond),
            [0, 2_000],
        );
    });

    it("draws one line and one legend entry per profile", () => {
        const svg = renderInitialLoadChart(
            [
                {
                    profile: "defaults (1 partition)",
                    timeline: [
                        { seconds: 0, rowsInAdx: 0 },
                        { seconds: 100, rowsInAdx: 1_000_000 },
                    ],
                },
                {
                    profile: "deployed (4 partitions)",
                    timeline: [
                        { seconds: 0, rowsInAdx: 0 },
                        { seconds: 50, rowsInAdx: 1_000_000 },
                    ],
                },
            ],
            "Initial load of 1,000,000 rows into ADX",
        );
        assert.match(svg, /^<svg /);
        assert.equal((svg.match(/<path /g) ?? []).length, 2);
        assert.match(svg, />defaults \(1 partition\)</);
        assert.match(svg, />deployed \(4 partitions\)</);
        assert.match(svg, /<\/svg>$/);
    });
});
