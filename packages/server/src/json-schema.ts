/**
 * The service's one JSON Schema validator (AJV): request items and the configuration file are
 * validated by schemas compiled here once, at start-up. No type coercion, no defaults written,
 * no property removed: a value is valid as sent, or refused. The first error is reported.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const ajv = new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false });

/** Compiles a schema once; the returned function is reused for every value. */
export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

/** The first error of a validation, as `<label><path> <message>` (AJV's words, no value). */
export function firstError(errors: readonly ErrorObject[] | null | undefined, label: string): string {
  const error = errors?.[0];
  if (error === undefined) return `${label} is not valid`;
  return `${label}${error.instancePath} ${error.message ?? 'is not valid'}`;
}
