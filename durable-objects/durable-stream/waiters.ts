/** Readers waiting at the tail of a stream, woken together by the next append, close or delete. */
export class TailWaiters {
  private readonly pending = new Set<() => void>();

  /** Resolves on the next `wakeAll()` or after `ms`, whichever comes first: true when it timed out. */
  wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timedOut = false;
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve(timedOut);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        done();
      }, ms);
      this.pending.add(done);
    });
  }

  wakeAll(): void {
    for (const waiter of [...this.pending]) waiter();
  }
}
