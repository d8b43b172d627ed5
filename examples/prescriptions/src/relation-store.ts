/**
 * The therapeutic-relation service's database (SQLite, one file): which care professional has a
 * therapeutic relation with which patient, the patient held as the x coordinate of a pseudonym
 * at rest of its own domain, therlink_v1 (unlinkable to the prescriptions backend's pseudonyms
 * without the service).
 */
import Database from 'better-sqlite3';

export interface RelationRecord {
  readonly patientX: string;
  readonly professionalId: string;
  readonly createdAt: number;
}

export class RelationStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS relations (
      patient_x TEXT NOT NULL,
      professional_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (patient_x, professional_id)
    )`);
  }

  /** Records a relation; false when it existed already. */
  add(record: RelationRecord): boolean {
    const result = this.#db
      .prepare('INSERT OR IGNORE INTO relations (patient_x, professional_id, created_at) VALUES (?, ?, ?)')
      .run(record.patientX, record.professionalId, record.createdAt);
    return result.changes === 1;
  }

  has(patientX: string, professionalId: string): boolean {
    return (
      this.#db
        .prepare('SELECT 1 FROM relations WHERE patient_x = ? AND professional_id = ?')
        .get(patientX, professionalId) !== undefined
    );
  }

  all(): RelationRecord[] {
    return (
      this.#db.prepare('SELECT * FROM relations ORDER BY created_at').all() as {
        patient_x: string;
        professional_id: string;
        created_at: number;
      }[]
    ).map((r) => Object.freeze({ patientX: r.patient_x, professionalId: r.professional_id, createdAt: r.created_at }));
  }

  close(): void {
    this.#db.close();
  }
}
