/**
 * Pages of records as JSON text, from stored rows (offset, timestamp, stored data; see
 * cluster/stored-records.ts): the fetched form (with partition, offset and timestamp) and the
 * stored form (each record with its timestamp). The same for rows read from SQLite and from an
 * R2 segment, so a reader cannot tell where a record was.
 */
import { TIMESTAMP_FIRST } from "../../cluster/stored-records.ts";

/** Renders one stored row. `ts` is the append time, used when the record brought no timestamp. */
export type RenderRow = (offset: number, ts: number, data: string) => string;

/** A page: the records' JSON array text, how many, and the offset to read on from. */
export interface Page {
  json: string;
  count: number;
  /** The offset after the last one examined: past the records served and any gap after them. */
  next: number;
}

/** The fetched form of docs/api.md. A stored record that brought its own timestamp starts with it. */
export function fetchedForm(partition: number): RenderRow {
  const head = `{"partition":${partition},"offset":`;
  return (at, ts, data) =>
    data.startsWith(TIMESTAMP_FIRST)
      ? `${head}${at},${data.slice(1)}`
      : `${head}${at},"timestamp":${ts},${data.slice(1)}`;
}

/** The stored form with every record's timestamp (the append time spliced in where it has none). */
export const storedForm: RenderRow = (_at, ts, data) =>
  data.startsWith(TIMESTAMP_FIRST) ? data : `${TIMESTAMP_FIRST}${ts},${data.slice(1)}`;
