// Delivery proven as sets, for the fault drills and the soak: a trigger-written ledger of every
// change committed to retail.orders_info, the set of changes the real sink delivered into the ADX
// double, the multiset difference both ways, and a workload that survives connection loss.
import { TRUNCATE_OP } from "../../../contract/recordFields";
import type { Client } from "pg";
import { LocalPipeline } from "../../../local/localPipeline";
import { adminClient } from "../../../local/capturedSource";
import { KustoSinkDeployment } from "../../../local/kustoSinkDeployment";
import { changeMetadataColumns } from "../../../kql/adxModel";
import { runOrdersGenerator } from "../../../generator/ordersGenerator";
import { KustoRow } from "../../../local/doubles/adxIngestionTestDouble";

/**
 * The ledger of committed changes: a trigger (test-only, on the test's own table) records each row
 * change in the transaction that makes it, so a rolled-back change is not in it and a committed one
 * always is. Each entry is the change as the current state must see it: op, key and the row's values.
 */
export const LEDGER_SQL = `
CREATE SCHEMA fault_ledger;
CREATE TABLE fault_ledger.changes (seq bigserial PRIMARY KEY, op text NOT NULL, orderid bigint NOT NULL, custid int, amount numeric, city text);
CREATE FUNCTION fault_ledger.record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO fault_ledger.changes (op, orderid, custid, amount, city) VALUES ('d', OLD.orderid, OLD.custid, OLD.amount, OLD.city);
    RETURN OLD;
  END IF;
  INSERT INTO fault_ledger.changes (op, orderid, custid, amount, city) VALUES (CASE TG_OP WHEN 'INSERT' THEN 'c' ELSE 'u' END, NEW.orderid, NEW.custid, NEW.amount, NEW.city);
  RETURN NEW;
END $$;
CREATE TRIGGER fault_ledger AFTER INSERT OR UPDATE OR DELETE ON retail.orders_info FOR EACH ROW EXECUTE FUNCTION fault_ledger.record()`;

/** A decimal as text without trailing zeros, so PostgreSQL's "12.50" and ADX's 12.5 are one value. */
const decimalText = (v: unknown) =>
    v === null || v === undefined
        ? "null"
        : String(v)
              .replace(/(\.\d*?)0+$/, "$1")
              .replace(/\.$/, "");
const changeIdentity = (op: unknown, orderid: unknown, custid: unknown, amount: unknown, city: unknown) =>
    JSON.stringify([op, String(orderid), String(custid), decimalText(amount), city]);

/** Every committed change, as identities (a multiset: the same change twice is two entries). */
export async function ledgerOfChanges(pipeline: LocalPipeline): Promise<string[]> {
    const client = await adminClient(pipeline);
    try {
        const { rows } = await client.query("SELECT op, orderid, custid, amount::text AS amount, city FROM fault_ledger.changes ORDER BY seq");
        return rows.map((r) => changeIdentity(r.op, r.orderid, r.custid, r.amount, r.city)).sort();
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** The rows the real sink delivered into the ADX double for the orders table. */
export function ingestedRows(pipeline: LocalPipeline, sink: KustoSinkDeployment): { row: KustoRow }[] {
    return pipeline.adx.ingested.get(sink.models[0].names.changes) ?? [];
}

/**
 * Every change the sink delivered into ADX, once per change: the sink's redeliveries of a record and
 * Debezium's re-emission of a change after a crash (the same LSN at a new Kafka offset) collapse, as
 * the current state collapses them; snapshot reads left out.
 */
export function deliveredChanges(pipeline: LocalPipeline, sink: KustoSinkDeployment): string[] {
    const { lsn, op } = changeMetadataColumns(sink.models[0].described.columns.map((c) => c.name));
    const byChange = new Map<string, string>();
    for (const { row } of ingestedRows(pipeline, sink)) {
        // Snapshot reads and TRUNCATE rows (a fence, a re-read's end) are no row change of the ledger's.
        if (row[op.column] === "r" || row[op.column] === TRUNCATE_OP) continue;
        byChange.set(`${row[op.column]}/${row.orderid}/${row[lsn.column]}`, changeIdentity(row[op.column], row.orderid, row.custid, row.amount, row.city));
    }
    return [...byChange.values()].sort();
}

/** Entries of `a` not matched one for one in `b`. */
export function multisetMinus(a: string[], b: string[]): string[] {
    const left = new Map<string, number>();
    for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
    return a.filter((x) => {
        const n = left.get(x) ?? 0;
        if (n === 0) return true;
        left.set(x, n - 1);
        return false;
    });
}

/** A generator at `rate` changes/s (30% updates, 10% deletes) that survives connection loss (a PostgreSQL restart): it reconnects and carries on. */
export function startWorkload(pipeline: LocalPipeline, rate: number): { stop(): Promise<number> } {
    const abort = new AbortController();
    let changes = 0;
    const done = (async () => {
        while (!abort.signal.aborted) {
            try {
                const client: Client = await adminClient(pipeline);
                try {
                    const r = await runOrdersGenerator(client, { rate, durationMs: 0, updates: 0.3, deletes: 0.1, signal: abort.signal });
                    changes += r.inserts + r.updates + r.deletes;
                } finally {
                    await client.end().catch(() => undefined);
                }
            } catch (error: any) {
                // Changes committed before the connection broke count; the one in flight was not committed (autocommit).
                if (error?.report) changes += error.report.inserts + error.report.updates + error.report.deletes;
                await new Promise((r) => setTimeout(r, 200));
            }
        }
    })();
    return {
        async stop() {
            abort.abort();
            await done;
            return changes;
        },
    };
}
