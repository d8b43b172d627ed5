/**
 * The caller's request id: the `id` of a request body or of one input, echoed as `inResponseTo`
 * (in results and problems) and kept in the audit log. A string of 1 to 200 characters; anything
 * else is not used (and refused by the body's schema where the body is read).
 */
export const REQUEST_ID_MAX_LENGTH = 200;

/** The JSON Schema of a request id. */
export const REQUEST_ID_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: REQUEST_ID_MAX_LENGTH,
  description: 'Caller-chosen request id (UUID)',
} as const;

/** Whether `id` is a usable request id. */
export function isRequestId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= REQUEST_ID_MAX_LENGTH;
}

/** The request id of a body or an input, when it has a usable one. */
export function requestIdOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const id = (body as { id?: unknown }).id;
  return isRequestId(id) ? id : undefined;
}
