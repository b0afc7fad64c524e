// Variables that wrangler.toml deliberately does not declare (so `wrangler types` cannot).
declare namespace Cloudflare {
  interface Env {
    /** "1" turns on test-only fault injection (tests set it; production config never does). */
    TRIBUTARY_FAULTS?: string;
  }
}
