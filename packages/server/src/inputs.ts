/**
 * Reading one input (the body of a single call, or one item of a `*Multiple` call): its shape,
 * its curve, and its point, fully validated (core's codecs). Items of `*Multiple` calls may be
 * JSON strings holding the object (one real client sends them that way). Problems say what is
 * wrong without repeating the input.
 */
import { CURVE_NAME, type Point, pointFromJson } from '@blindpseudo/core';
import { ProblemError } from './problems.js';

/** Whether an operation takes a transitInfo. */
export type TransitInfoRule = 'ignored' | 'required' | 'optional';

export interface Input {
  readonly id: string | undefined;
  readonly point: Point;
  readonly transitInfo: string | undefined;
}

function bad(detail: string): never {
  throw new ProblemError('badRequest', detail);
}

/** The `id` of an input, when it has a usable one (for `inResponseTo`). */
export function inputId(raw: unknown): string | undefined {
  const value = typeof raw === 'string' ? parseLenient(raw) : raw;
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
}

function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Validates and decodes one input; throws a badRequest {@link ProblemError}. */
export function readInput(raw: unknown, rule: TransitInfoRule, label = 'body'): Input {
  let value = raw;
  if (typeof raw === 'string') {
    value = parseLenient(raw);
    if (value === undefined) bad(`${label} is a string but not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(`${label} must be an object`);
  const item = value as Record<string, unknown>;
  if (item.id !== undefined && (typeof item.id !== 'string' || item.id.length === 0 || item.id.length > 200)) {
    bad(`${label}/id must be a string of 1 to 200 characters`);
  }
  if (item.crv === undefined) bad(`${label} must have required property 'crv'`);
  if (item.crv !== CURVE_NAME) bad(`${label}/crv must be "${CURVE_NAME}"`);
  for (const name of ['x', 'y'] as const) {
    if (item[name] === undefined) bad(`${label} must have required property '${name}'`);
    if (typeof item[name] !== 'string') bad(`${label}/${name} must be a string`);
  }
  let transitInfo: string | undefined;
  if (rule !== 'ignored' && item.transitInfo !== undefined) {
    if (typeof item.transitInfo !== 'string' || item.transitInfo.length === 0)
      bad(`${label}/transitInfo must be a non-empty string`);
    transitInfo = item.transitInfo;
  }
  if (rule === 'required' && transitInfo === undefined) bad(`${label} must have required property 'transitInfo'`);
  // Throws ERR_PSEUDO_INVALID_POINT (bad Base64, longer than 66 bytes, ≥ p, off the curve).
  const point = pointFromJson({ x: item.x, y: item.y });
  return Object.freeze({ id: item.id as string | undefined, point, transitInfo });
}
