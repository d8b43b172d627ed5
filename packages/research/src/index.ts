/**
 * @blindpseudo/research — bulk research jobs on the blind pseudonymisation service: sources
 * pseudonymise their rows for a research domain (streaming, resumable, rejects apart), the
 * research domain's owner joins them on pseudonym, and can export them anonymised.
 */
export { type ResearchErrorCode, ResearchError, ResearchErrorCodes, isResearchError } from './errors.js';
export {
  type RawRecord,
  type ReadRecordsOptions,
  type RecordFormat,
  CsvParser,
  NdjsonParser,
  DEFAULT_MAX_RECORD_BYTES,
  csvField,
  csvRecord,
  formatFromPath,
  readRecords,
} from './records.js';
export { type Checkpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';
export { type MultiplierChoice, MULTIPLIER_CHOICES, chooseMultiplier } from './multiplier.js';
export { type PseudonymizePoolOptions, PseudonymizePool } from './pseudonymize-pool.js';
export { type ItemOutcome } from './pool-messages.js';
export { type SourceJobOptions, type SourceJobSummary, runSourceJob } from './source-job.js';
export { type AtRestIdentifiers, type SsinIdentifiers } from './identifiers.js';
export { type JoinOptions, type JoinSource, type JoinSourceSummary, type JoinSummary, runJoin } from './join.js';
export {
  type JoinOutputFormat,
  JOIN_OUTPUT_FORMATS,
  chooseJoinFormat,
  joinFormatFromPath,
  joinOutputFiles,
} from './join-output.js';
export { detectDelimiter } from './job-engine.js';
export { inferOwnerKid } from './owner-kid.js';
export { ExportTokenKey } from './anonymise.js';
export {
  type JobProgress,
  type ProgressBaseline,
  type ProgressReporterOptions,
  type ProgressStream,
  ProgressReporter,
  formatDuration,
} from './progress.js';
