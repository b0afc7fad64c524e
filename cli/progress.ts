/**
 * The progress bar of a long produce (cli-progress), on stderr, only when stderr is a terminal
 * and only once the input proved large (10,000 records): a pipe or a log file never gets one.
 * With a file, the bar is the share of its bytes read; from stdin, the count and the rate.
 */
import cliProgress from "cli-progress";

const SHOW_AFTER_RECORDS = 10_000;

export interface Progress {
  /** Records sent so far, and bytes of input read. */
  update(records: number, bytes: number): void;
  stop(): void;
}

export function createProgress(options: { totalBytes?: number; enabled: boolean }): Progress {
  if (!options.enabled) return { update() {}, stop() {} };
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  const rate = (records: number) => Math.round(records / Math.max(0.001, (Date.now() - started) / 1000));
  const total = options.totalBytes;
  return {
    update(records, bytes) {
      if (!bar) {
        if (records < SHOW_AFTER_RECORDS) return;
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format:
              total !== undefined
                ? "produce [{bar}] {percentage}% | {records} records | {rate} records/s | {duration_formatted}"
                : "produce {records} records | {rate} records/s | {duration_formatted}",
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total ?? 0, 0, { records: 0, rate: 0 });
      }
      bar.update(total !== undefined ? Math.min(bytes, total) : 0, { records, rate: rate(records) });
    },
    stop() {
      bar?.stop();
    },
  };
}
