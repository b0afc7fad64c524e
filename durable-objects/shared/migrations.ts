/**
 * Ordered, idempotent schema migrations for a Durable Object's SQLite storage. The applied
 * version lives in the object's own storage, so each migration runs exactly once per object.
 */
export type Migration = (sql: SqlStorage) => void;

export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): void {
  storage.transactionSync(() => {
    const sql = storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)");
    const row = sql.exec<{ version: number }>("SELECT version FROM _schema").toArray()[0];
    const applied = row?.version ?? 0;
    if (applied > migrations.length) {
      throw new Error(`storage schema version ${applied} is newer than this code knows (${migrations.length})`);
    }
    for (let v = applied; v < migrations.length; v++) migrations[v]!(sql);
    if (!row) sql.exec("INSERT INTO _schema (version) VALUES (?)", migrations.length);
    else if (applied !== migrations.length) sql.exec("UPDATE _schema SET version = ?", migrations.length);
  });
}
