// Rates from counters polled over time: how the console turns high watermarks and sizes into
// throughput, with no metrics service.

/**
 * Rates from counters polled over time: `rate(key, value, now)` answers the per-second change
 * since the last value of that key (0 the first time, or when the counter went down).
 */
export function rates() {
  const last = new Map();
  return (key, value, now = Date.now()) => {
    const prev = last.get(key);
    last.set(key, { value, now });
    if (!prev || now <= prev.now || value < prev.value) return 0;
    return ((value - prev.value) * 1000) / (now - prev.now);
  };
}
