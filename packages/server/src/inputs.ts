/**
 * Reading one input: the body of a single call, or one item of a `*Multiple` call, by the same
 * check — its schema (compiled once), then its point, fully validated (core's codecs). Items of
 * `*Multiple` calls may also be JSON strings holding the object (one real client sends them that
 * way). Problems say what is wrong without repeating the input.
 *
 * A single call's body is read by this check as Fastify's body validator
 * ({@link itemValidatorCompiler}): the handler receives the decoded {@link Input}, and the body is
 * validated once.
 */
import { type Point, pointFromJson } from '@blindpseudo/core';
import type { FastifySchemaCompiler } from 'fastify';
import { compileSchema, firstError } from './json-schema.js';
import { ServiceError } from './errors.js';
import { requestIdOf } from './request-id.js';
import { type ConvertRequest, convertRequest, identifyRequest, pseudonymizeRequest } from './schemas.js';

/** Whether an operation takes a transitInfo. */
export type TransitInfoRule = 'ignored' | 'required' | 'optional';

export interface Input {
  readonly id: string | undefined;
  readonly point: Point;
  readonly transitInfo: string | undefined;
}

/** One schema per rule; `ConvertRequest` is the widest of the three request types. */
const VALIDATORS = {
  ignored: compileSchema<ConvertRequest>(pseudonymizeRequest),
  required: compileSchema<ConvertRequest>(identifyRequest),
  optional: compileSchema<ConvertRequest>(convertRequest),
} as const;

/** Validates and decodes one input; throws a badRequest {@link ServiceError}. */
export function readInput(raw: unknown, rule: TransitInfoRule, label = 'body'): Input {
  const validate = VALIDATORS[rule];
  if (!validate(raw)) throw new ServiceError('ERR_SERVER_INVALID_REQUEST', firstError(validate.errors, label));
  // Throws ERR_PSEUDO_INVALID_POINT (bad Base64, longer than 66 bytes, ≥ p, off the curve).
  const point = pointFromJson({ x: raw.x, y: raw.y });
  return Object.freeze({ id: raw.id, point, transitInfo: rule === 'ignored' ? undefined : raw.transitInfo });
}

/** An item of a `*Multiple` call: an input, or a JSON string holding one. */
export function readItem(raw: unknown, rule: TransitInfoRule, label: string): Input {
  if (typeof raw !== 'string') return readInput(raw, rule, label);
  const value = parseLenient(raw);
  if (value === undefined) throw new ServiceError('ERR_SERVER_INVALID_REQUEST', `${label} is a string but not JSON`);
  return readInput(value, rule, label);
}

/**
 * The body validator of a single call's route: the body becomes the decoded {@link Input}; other
 * parts of the request (the path parameters) are validated by their schema.
 */
export function itemValidatorCompiler(rule: TransitInfoRule): FastifySchemaCompiler<object> {
  return ({ schema, httpPart }) => {
    if (httpPart !== 'body') return compileSchema(schema);
    return (body: unknown) => {
      try {
        return { value: readInput(body, rule) };
      } catch (error) {
        return { error: error as Error };
      }
    };
  };
}

/** The `id` of an input, when it has a usable one (for `inResponseTo`). */
export function inputId(raw: unknown): string | undefined {
  return requestIdOf(typeof raw === 'string' ? parseLenient(raw) : raw);
}

function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
