// Variables that wrangler.toml deliberately does not declare (so `wrangler types` cannot).
declare namespace Cloudflare {
  interface Env {
    /** "1" turns on test-only fault injection (tests set it; production config never does). */
    TRIBUTARY_FAULTS?: string;
    /** "1" turns on the billable-unit meter (`npm run cost` and its tests; never in production config). */
    TRIBUTARY_METER?: string;
  }
}
