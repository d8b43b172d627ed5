/**
 * The join's work database (SQLite, on disk): every SQL statement of the join is here. It holds
 * the loaded rows under their research pseudonym (`pid`), each source's input position and
 * counts, the job's fingerprint and the committed length of the rejects file: one transaction
 * per batch, so an interrupted load resumes exactly where it stopped. For an anonymised export a
 * second, throw-away database orders the records by token.
 */
import Database from 'better-sqlite3';

/** One source's position and counts, as committed. */
export interface SourceProgress {
  offset: number;
  line: number;
  header: string[] | null;
  done: number;
  rows: number;
  loaded: number;
  rejected: number;
}

/** A loaded row: its pseudonym (x bytes), the input line, and the row without its key (JSON). */
export type StoredRow = [pid: Uint8Array, line: number, data: string];

export const EMPTY_PROGRESS: Readonly<SourceProgress> = Object.freeze({
  offset: 0,
  line: 1,
  header: null,
  done: 0,
  rows: 0,
  loaded: 0,
  rejected: 0,
});

export class JoinStore {
  readonly #db: Database.Database;
  readonly #commit: (index: number, progress: SourceProgress, rows: readonly StoredRow[], rejects: number) => void;

  constructor(path: string) {
    const db = new Database(path);
    this.#db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS progress (
        source INTEGER PRIMARY KEY, offset INTEGER NOT NULL, line INTEGER NOT NULL, header TEXT,
        done INTEGER NOT NULL, rows INTEGER NOT NULL, loaded INTEGER NOT NULL, rejected INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS rows (pid BLOB NOT NULL, source INTEGER NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
    `);
    const insertRow = db.prepare('INSERT INTO rows (pid, source, seq, data) VALUES (?, ?, ?, ?)');
    const saveProgress = db.prepare(
      `INSERT OR REPLACE INTO progress (source, offset, line, header, done, rows, loaded, rejected)
       VALUES (@source, @offset, @line, @header, @done, @rows, @loaded, @rejected)`,
    );
    const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.#commit = db.transaction((index: number, p: SourceProgress, rows: readonly StoredRow[], rejects: number) => {
      for (const [pid, seq, data] of rows) insertRow.run(pid, index, seq, data);
      saveProgress.run({ source: index, ...p, header: p.header === null ? null : JSON.stringify(p.header) });
      setMeta.run('rejects', String(rejects));
    });
  }

  #meta(key: string): string | undefined {
    return this.#db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key)?.value;
  }

  /** The job this database belongs to (undefined for a new one). */
  get job(): string | undefined {
    return this.#meta('job');
  }

  /** Marks a new database as this job's. */
  claim(job: string): void {
    this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('job', job);
  }

  /** The committed length of the rejects file. */
  get rejectsLength(): number {
    return Number(this.#meta('rejects') ?? '0');
  }

  progress(index: number): SourceProgress {
    const stored = this.#db
      .prepare<[number], Record<string, unknown>>('SELECT * FROM progress WHERE source = ?')
      .get(index);
    if (stored === undefined) return { ...EMPTY_PROGRESS };
    return {
      offset: Number(stored['offset']),
      line: Number(stored['line']),
      header: stored['header'] === null ? null : (JSON.parse(String(stored['header'])) as string[]),
      done: Number(stored['done']),
      rows: Number(stored['rows']),
      loaded: Number(stored['loaded']),
      rejected: Number(stored['rejected']),
    };
  }

  /** Commits a batch of one source: its rows, its position and counts, the rejects length. */
  commit(index: number, progress: SourceProgress, rows: readonly StoredRow[], rejectsLength: number): void {
    this.#commit(index, progress, rows, rejectsLength);
  }

  /** The rows ordered by pseudonym, then source and input line, read on demand. */
  scan(): IterableIterator<{ pid: Buffer; source: number; data: string }> {
    this.#db.exec('CREATE INDEX IF NOT EXISTS rows_by_pid ON rows (pid, source, seq)');
    return this.#db
      .prepare<[], { pid: Buffer; source: number; data: string }>(
        'SELECT pid, source, data FROM rows ORDER BY pid, source, seq',
      )
      .iterate();
  }

  /** The member names of a source's loaded rows (NDJSON sources have no header), sorted. */
  columns(index: number): string[] {
    return this.#db
      .prepare<[number], { key: string }>(
        'SELECT DISTINCT j.key AS key FROM rows, json_each(rows.data) AS j WHERE rows.source = ? ORDER BY j.key',
      )
      .all(index)
      .map((r) => r.key);
  }

  get open(): boolean {
    return this.#db.open;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/** Records keyed by token, read back in token order (a random order): the anonymised export's. */
export class TokenOrder {
  readonly #db: Database.Database;
  readonly #insert: (items: readonly [Buffer, string][]) => void;
  readonly #pending: [Buffer, string][] = [];

  constructor(path: string) {
    const db = new Database(path);
    this.#db = db;
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec('CREATE TABLE records (token BLOB PRIMARY KEY, line TEXT NOT NULL) WITHOUT ROWID');
    const insert = db.prepare('INSERT INTO records (token, line) VALUES (?, ?)');
    this.#insert = db.transaction((items: readonly [Buffer, string][]) => {
      for (const [t, l] of items) insert.run(t, l);
    });
  }

  add(token: Buffer, record: string): void {
    this.#pending.push([token, record]);
    if (this.#pending.length >= 1000) this.#insert(this.#pending.splice(0));
  }

  /** The records in token order. */
  *records(): Generator<string> {
    this.#insert(this.#pending.splice(0));
    for (const { line } of this.#db
      .prepare<[], { line: string }>('SELECT line FROM records ORDER BY token')
      .iterate()) {
      yield line;
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
