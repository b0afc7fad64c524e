/**
 * The nodes the DSL's joins add to a topology (kstream.ts and ktable.ts call these): a lookup node for a
 * stream–table or stream–globalTable join, two side nodes and the node they both forward to for
 * a stream–stream or table–table join. What each node does with records is in tables.ts and
 * stream-joins.ts.
 */
import type { AnyFn, NodeSpec } from "./topology.ts";
import type { JoinWindows } from "./windows.ts";

/** What the builder offers these functions: adding nodes and claiming store names. */
export interface JoinHost {
  readonly name: string;
  add(spec: NodeSpec, parents: number[], name?: string): number;
  claimStore(name: string): string;
}

export type JoinMode = "inner" | "left" | "outer";

/** A stream–stream join: each side buffers its records, both forward to one node (returned). */
export function addStreamJoin(
  app: JoinHost,
  left: number,
  right: number,
  joiner: AnyFn,
  windows: JoinWindows,
  mode: JoinMode,
  name: string,
): number {
  const leftStore = app.claimStore(`${name}.left`);
  const rightStore = app.claimStore(`${name}.right`);
  const leftPending = mode === "inner" ? undefined : app.claimStore(`${name}.left-unmatched`);
  const rightPending = mode === "outer" ? app.claimStore(`${name}.right-unmatched`) : undefined;
  const { beforeMs, afterMs, graceMs } = windows;
  const leftSide = app.add(
    {
      kind: "streamJoin",
      side: "left",
      join: name,
      thisStore: leftStore,
      otherStore: rightStore,
      thisPending: leftPending,
      otherPending: rightPending,
      lookBeforeMs: beforeMs,
      lookAfterMs: afterMs,
      thisWaitMs: afterMs,
      otherWaitMs: beforeMs,
      graceMs,
      joiner,
    },
    [left],
    `${name}.join-left`,
  );
  const rightSide = app.add(
    {
      kind: "streamJoin",
      side: "right",
      join: name,
      thisStore: rightStore,
      otherStore: leftStore,
      thisPending: rightPending,
      otherPending: leftPending,
      lookBeforeMs: afterMs,
      lookAfterMs: beforeMs,
      thisWaitMs: beforeMs,
      otherWaitMs: afterMs,
      graceMs,
      joiner,
    },
    [right],
    `${name}.join-right`,
  );
  return app.add({ kind: "passthrough" }, [leftSide, rightSide], `${name}.joined`);
}

/**
 * A table–table join: each side looks up the other table on an update of its own; the results
 * are materialized in `store` (a table node, returned).
 */
export function addTableJoin(
  app: JoinHost,
  left: { node: number; store: string },
  right: { node: number; store: string },
  joiner: AnyFn,
  mode: JoinMode,
  store: string,
): number {
  const name = app.claimStore(store);
  const leftSide = app.add(
    { kind: "tableJoin", side: "left", otherTable: right.node, otherStore: right.store, mode, joiner },
    [left.node],
    `${name}.join-left`,
  );
  const rightSide = app.add(
    { kind: "tableJoin", side: "right", otherTable: left.node, otherStore: left.store, mode, joiner },
    [right.node],
    `${name}.join-right`,
  );
  return app.add({ kind: "table", store: name }, [leftSide, rightSide], name);
}
