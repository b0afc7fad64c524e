/**
 * The SQL of a GroupCoordinator: the schema history of the object, the group's membership state
 * and name (as meta rows), and its committed offsets. Queue mode's tables are queried in
 * queue-store.ts.
 */
import type { OffsetCommit } from "../../cluster/rpc/group-coordinator.ts";
import type { Migration } from "../shared/migrations.ts";
import {
  type ClassicGroup,
  classicFromStored,
  classicToStored,
  emptyClassicGroup,
  type StoredClassicGroup,
} from "./classic.ts";
import { emptyGroup, fromStored, type GroupState, type StoredGroup, toStored } from "./membership.ts";
import { QUEUE_MIGRATION, QUEUE_STATS_MIGRATION, QUEUE_TABLES } from "./queue-store.ts";

export const MIGRATIONS: readonly Migration[] = [
  (sql: SqlStorage) => {
    sql.exec("CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    sql.exec(`CREATE TABLE offsets (
      topic TEXT NOT NULL,
      partition INTEGER NOT NULL,
      committed INTEGER NOT NULL,
      metadata TEXT,
      committed_at INTEGER NOT NULL,
      PRIMARY KEY (topic, partition)
    )`);
  },
  QUEUE_MIGRATION,
  QUEUE_STATS_MIGRATION,
];

/** The key of a partition in the map of committed offsets. */
export function offsetKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export class GroupStore {
  constructor(private readonly storage: DurableObjectStorage) {}

  /** The stored group, or an empty one; every member counts as just seen (see fromStored). */
  loadGroup(now: number): GroupState {
    const stored = this.getMeta("group");
    return stored ? fromStored(JSON.parse(stored) as StoredGroup, now) : emptyGroup();
  }

  saveGroup(group: GroupState): void {
    this.setMeta("group", JSON.stringify(toStored(group)));
  }

  /** The members of Kafka's classic protocol, if any (classic.ts). */
  loadClassic(now: number): ClassicGroup {
    const stored = this.getMeta("classic");
    return stored ? classicFromStored(JSON.parse(stored) as StoredClassicGroup, now) : emptyClassicGroup();
  }

  saveClassic(group: ClassicGroup): void {
    this.setMeta("classic", JSON.stringify(classicToStored(group)));
  }

  /** Forgets the group: its membership, offsets, name and queue state (the schema stays). */
  clear(): void {
    this.storage.transactionSync(() => {
      for (const table of ["meta", "offsets", ...QUEUE_TABLES]) {
        this.storage.sql.exec(`DELETE FROM ${table}`);
      }
    });
  }

  /** The group's name, once it has been used (see GroupCoordinator.register). */
  name(): string | null {
    return this.getMeta("name") ?? null;
  }

  setName(name: string): void {
    this.setMeta("name", name);
  }

  /** Commits offsets, all or none. */
  writeOffsets(offsets: readonly OffsetCommit[]): void {
    const now = Date.now();
    this.storage.transactionSync(() => {
      for (const o of offsets) {
        this.storage.sql.exec(
          `INSERT INTO offsets (topic, partition, committed, metadata, committed_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (topic, partition) DO UPDATE SET committed = excluded.committed, metadata = excluded.metadata, committed_at = excluded.committed_at`,
          o.topic,
          o.partition,
          o.offset,
          o.metadata ?? null,
          now,
        );
      }
    });
  }

  /** The committed offset of every partition committed to, by offsetKey. */
  committed(): Map<string, number> {
    const out = new Map<string, number>();
    for (const row of this.storage.sql.exec("SELECT topic, partition, committed FROM offsets").raw()) {
      out.set(offsetKey(row[0] as string, row[1] as number), row[2] as number);
    }
    return out;
  }

  private getMeta(k: string): string | undefined {
    return this.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v;
  }

  private setMeta(k: string, v: string): void {
    this.storage.sql.exec("INSERT INTO meta (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = ?2", k, v);
  }
}
