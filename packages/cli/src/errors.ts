/**
 * The command line's own expected errors, each a core `CodedError` with a stable `ERR_CLI_…` code.
 * The entry (index.ts) prints the message of every `CodedError` (the CLI's, the service's, the
 * libraries') without a stack trace; usage errors also print the usage text and exit with 2.
 */
import { CodedError } from '@blindpseudo/core';

export const CliErrorCodes = {
  /** The command line is wrong: an unknown command or option, a missing or malformed argument. */
  USAGE: 'ERR_CLI_USAGE',
  /** The admin API of a running service refused a call, or could not be reached; or the token is unusable. */
  ADMIN_API: 'ERR_CLI_ADMIN_API',
  /** The audit log's hash chain is broken: a record was changed or deleted. */
  AUDIT_TAMPERED: 'ERR_CLI_AUDIT_TAMPERED',
} as const;

export type CliErrorCode = (typeof CliErrorCodes)[keyof typeof CliErrorCodes];

/** Wrong usage of the command line (exit code 2, with the usage text). */
export class UsageError extends CodedError<CliErrorCode> {
  constructor(message: string) {
    super(CliErrorCodes.USAGE, message);
  }
}

/** The service refused an admin call, or could not be reached (exit code 1). */
export class AdminApiError extends CodedError<CliErrorCode> {
  /** The HTTP status of the refusal; undefined when the service was not reached. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(CliErrorCodes.ADMIN_API, message);
    this.status = status;
  }
}

/** The audit log is not intact (exit code 1). */
export class AuditTamperedError extends CodedError<CliErrorCode> {
  constructor(message: string) {
    super(CliErrorCodes.AUDIT_TAMPERED, message);
  }
}
