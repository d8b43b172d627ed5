/**
 * The prescriptions backend's database (SQLite, one file). A prescription is stored under
 * pseudonyms at rest of domain uhmep_v1: the patient's and the prescriber's, each as the x
 * coordinate only (standard Base64, 88 characters). The doctor's free text is stored as the
 * client sealed it: the JWE and the pseudonym at rest of its key, which the backend cannot
 * identify, so it can read neither. Nothing here is an identifier.
 */
import Database from 'better-sqlite3';

export interface PrescriptionRecord {
  /** Random id (UUID): the only id the backend logs. */
  readonly id: string;
  readonly patientX: string;
  readonly prescriberX: string;
  /** YYYY-MM-DD. */
  readonly prescribedOn: string;
  /** A product name or code, not personal. */
  readonly medication: string;
  /** The sealed free text, when there is one. */
  readonly text?: { readonly kid: string; readonly jwe: string; readonly keyX: string };
  readonly createdAt: number;
}

interface Row {
  id: string;
  patient_x: string;
  prescriber_x: string;
  prescribed_on: string;
  medication: string;
  text_kid: string | null;
  text_jwe: string | null;
  text_key_x: string | null;
  created_at: number;
}

function fromRow(row: Row): PrescriptionRecord {
  return Object.freeze({
    id: row.id,
    patientX: row.patient_x,
    prescriberX: row.prescriber_x,
    prescribedOn: row.prescribed_on,
    medication: row.medication,
    ...(row.text_kid === null || row.text_jwe === null || row.text_key_x === null
      ? {}
      : { text: Object.freeze({ kid: row.text_kid, jwe: row.text_jwe, keyX: row.text_key_x }) }),
    createdAt: row.created_at,
  });
}

export class PrescriptionStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS prescriptions (
      id TEXT PRIMARY KEY,
      patient_x TEXT NOT NULL,
      prescriber_x TEXT NOT NULL,
      prescribed_on TEXT NOT NULL,
      medication TEXT NOT NULL,
      text_kid TEXT,
      text_jwe TEXT,
      text_key_x TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS prescriptions_by_patient ON prescriptions (patient_x);
    CREATE INDEX IF NOT EXISTS prescriptions_by_prescriber ON prescriptions (prescriber_x, prescribed_on);`);
  }

  add(record: PrescriptionRecord): void {
    this.#db
      .prepare(
        `INSERT INTO prescriptions (id, patient_x, prescriber_x, prescribed_on, medication, text_kid, text_jwe,
           text_key_x, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.patientX,
        record.prescriberX,
        record.prescribedOn,
        record.medication,
        record.text?.kid ?? null,
        record.text?.jwe ?? null,
        record.text?.keyX ?? null,
        record.createdAt,
      );
  }

  byPatient(patientX: string): PrescriptionRecord[] {
    return (
      this.#db
        .prepare('SELECT * FROM prescriptions WHERE patient_x = ? ORDER BY prescribed_on, created_at')
        .all(patientX) as Row[]
    ).map(fromRow);
  }

  byPrescriber(prescriberX: string, prescribedOn: string): PrescriptionRecord[] {
    return (
      this.#db
        .prepare('SELECT * FROM prescriptions WHERE prescriber_x = ? AND prescribed_on = ? ORDER BY created_at')
        .all(prescriberX, prescribedOn) as Row[]
    ).map(fromRow);
  }

  /** Every row, for the demo's "what the backend holds". */
  all(): PrescriptionRecord[] {
    return (this.#db.prepare('SELECT * FROM prescriptions ORDER BY created_at').all() as Row[]).map(fromRow);
  }

  close(): void {
    this.#db.close();
  }
}
