// The shapes of what the scenarios send: record sizes, records per request, records per fetch;
// and how a shape is named in row ids ("1000x100") and labels ("1000 × 100 B").

export const SIZES = [
  { bytes: 100, label: "100 B" },
  { bytes: 1024, label: "1 KB" },
];
export const BATCHES = [1, 100, 1000];
/** Records a fetch asks for, and a prefill writes, per request. */
export const FETCH_RECORDS = 1000;

/** "1000x100": 1000 records of 100 bytes. */
export const shapeId = (/** @type {number} */ batch, /** @type {number} */ bytes) => `${batch}x${bytes}`;
/** "1000 × 100 B". */
export const shapeLabel = (/** @type {number} */ batch, /** @type {number} */ bytes) =>
  `${batch} × ${SIZES.find((s) => s.bytes === bytes)?.label ?? `${bytes} B`}`;
