/**
 * The stream tasks waiting for this partition to grow: a task that found nothing new registers
 * here (with the offset it will read next) and sleeps; the first time the high watermark passes
 * that offset, the partition sends the task one `wake` call and forgets it. So an idle task
 * costs nothing, and a busy one, which never registers, costs the partition nothing either.
 * Kept in the partition's meta table (a JSON map, there are few tasks per partition), so a
 * partition evicted while tasks wait still wakes them. A wake that fails is sent again at the
 * next append; the task's own alarm, at a long interval, is the safety net.
 */
import type { TaskIdentity } from "../../cluster/rpc/stream-task.ts";

const META_KEY = "task_wakeups";

interface Waiting {
  task: TaskIdentity;
  offset: number;
}

export interface WakeupsMeta {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

export class TaskWakeups {
  private waiting = new Map<string, Waiting>();
  private readonly sending = new Set<string>();

  constructor(
    private readonly meta: WakeupsMeta,
    /** Sends one wake to the task; rejects when it was not delivered. */
    private readonly wake: (task: TaskIdentity) => Promise<unknown>,
  ) {}

  load(): void {
    const kept = this.meta.getMeta(META_KEY);
    this.waiting = new Map(kept ? (JSON.parse(kept) as [string, Waiting][]) : []);
  }

  /**
   * Registers `task` to be woken once records at `offset` are visible, unless they are already
   * (`visibleEnd` past it): then it answers `ready` and registers nothing.
   */
  watch(task: TaskIdentity, offset: number, visibleEnd: number): { ready: boolean } {
    if (visibleEnd > offset) return { ready: true };
    this.waiting.set(key(task), { task, offset });
    this.save();
    return { ready: false };
  }

  /** The high watermark moved to `visibleEnd`: wakes each task waiting for an offset below it. */
  notify(visibleEnd: number): void {
    if (this.waiting.size === 0) return;
    for (const [k, w] of this.waiting) {
      if (w.offset >= visibleEnd || this.sending.has(k)) continue;
      this.sending.add(k);
      this.wake(w.task).then(
        () => {
          this.sending.delete(k);
          // A newer registration (the task woke, found nothing and waits again) stays.
          if (this.waiting.get(k) === w) {
            this.waiting.delete(k);
            this.save();
          }
        },
        (err) => {
          this.sending.delete(k);
          console.error(`waking stream task ${k} failed (retried at the next append)`, err);
        },
      );
    }
  }

  private save(): void {
    this.meta.setMeta(META_KEY, JSON.stringify([...this.waiting]));
  }
}

function key(task: TaskIdentity): string {
  return `${task.app}/${task.subTopology}/${task.partition}`;
}
