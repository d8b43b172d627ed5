/**
 * The problem document (RFC 9457) that the protocol answers errors with (PROTOCOL.md,
 * "Problems"): `type` (a `urn:problem-type:belgif:…` name), `title`, `status` and `detail` are
 * always present and non-null, as real clients require; `inResponseTo` echoes the request's id.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly inResponseTo?: string;
  readonly [member: string]: unknown;
}

/** The media type of problem documents. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
