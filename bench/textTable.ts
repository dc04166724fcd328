// The benches' console summaries as fixed-width text tables: each column as wide as its title or its
// widest cell, numbers right-aligned, the first (the profile) left-aligned.
export interface TextColumn<R> {
    title: string;
    cell: (row: R) => string | number;
    /** Left-aligned (names); the rest are right-aligned (figures). */
    left?: boolean;
}

export function renderTextTable<R>(columns: TextColumn<R>[], rows: R[]): string {
    const cells = rows.map((row) => columns.map((c) => String(c.cell(row))));
    const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
    const line = (values: string[]) =>
        values
            .map((v, i) => (columns[i].left ? v.padEnd(widths[i]) : v.padStart(widths[i])))
            .join("  ")
            .trimEnd();
    return [line(columns.map((c) => c.title)), ...cells.map(line)].join("\n");
}
