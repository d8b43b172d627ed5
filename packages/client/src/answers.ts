/**
 * One item of pseudonymize, identify or convert: the request body (the point blinded with a fresh
 * r, a fresh `id`) and the reading of its answer, checked before use — the `domain` it names, its
 * point (via core), the presence and audience of its transitInfo, `inResponseTo` when present —
 * then unblinded with r⁻¹. An item answered with a problem throws the problem's error.
 */
import {
  CURVE_NAME,
  type Point,
  type ScalarMultiplier,
  blind,
  decodeValue,
  pointFromJson,
  pointToJson,
  readTransitInfoHeaderUnverified,
  unblind,
} from '@blindpseudo/core';
import { invalidResponse, problemError, readProblem } from './errors.js';
import type { PseudonymInTransitResult } from './transit-input.js';

/** An item ready to send: its body, and how to read its answer. */
export interface Prepared<R> {
  readonly body: Record<string, unknown>;
  finish(output: unknown): Promise<R>;
}

/** A random (version 4) UUID: the platform's where it has one (Node, browsers' secure contexts). */
function uuid(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function asOutput(output: unknown): Record<string, unknown> {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) throw invalidResponse('not an object');
  return output as Record<string, unknown>;
}

/** The item's point, once its shape, id and domain are checked (a problem item throws). */
function readResultPoint(output: unknown, id: string, domain: string): { o: Record<string, unknown>; point: Point } {
  const o = asOutput(output);
  if (o.x === undefined && o.y === undefined && o.transitInfo === undefined) {
    const problem = readProblem(o, 200);
    if (problem !== undefined) throw problemError(problem, problem.status);
    throw invalidResponse('neither a result nor a problem');
  }
  if (o.inResponseTo !== undefined && o.inResponseTo !== id) throw invalidResponse('inResponseTo does not match');
  if (o.crv !== undefined && o.crv !== CURVE_NAME) throw invalidResponse('crv is not P-521');
  if (o.domain !== domain) throw invalidResponse('the result is for another domain');
  try {
    return { o, point: pointFromJson({ x: o.x, y: o.y }) };
  } catch (err) {
    throw invalidResponse('the point is invalid', err);
  }
}

function readTransitInfo(
  o: Record<string, unknown>,
  audience: string,
): { transitInfo: string; iat?: number; exp?: number } {
  if (typeof o.transitInfo !== 'string') throw invalidResponse('transitInfo is missing');
  let header;
  try {
    header = readTransitInfoHeaderUnverified(o.transitInfo);
  } catch (err) {
    throw invalidResponse('transitInfo is malformed', err);
  }
  if (header.aud !== audience) throw invalidResponse('transitInfo is for another audience');
  const iat = header.iat ?? (typeof o.iat === 'number' ? o.iat : undefined);
  const exp = header.exp ?? (typeof o.exp === 'number' ? o.exp : undefined);
  return { transitInfo: o.transitInfo, ...(iat === undefined ? {} : { iat }), ...(exp === undefined ? {} : { exp }) };
}

/** An item whose answer is a pseudonym in transit of `resultDomain` (pseudonymize, convert). */
export async function prepareTransit(
  multiplier: ScalarMultiplier,
  point: Point,
  transitInfo: string | undefined,
  resultDomain: string,
  audience: string,
): Promise<Prepared<PseudonymInTransitResult>> {
  const blinded = await blind(point, multiplier);
  const id = uuid();
  return {
    body: { id, crv: CURVE_NAME, ...pointToJson(blinded.point), ...(transitInfo === undefined ? {} : { transitInfo }) },
    finish: async (output) => {
      const { o, point: answer } = readResultPoint(output, id, resultDomain);
      const info = readTransitInfo(o, audience);
      return Object.freeze({
        domain: resultDomain,
        point: await unblind(answer, blinded, multiplier),
        transitInfo: info.transitInfo,
        iat: info.iat,
        exp: info.exp,
      });
    },
  };
}

/** An identify item: its answer is the value's point, decoded with the domain's bufferSize. */
export async function prepareIdentify(
  multiplier: ScalarMultiplier,
  transit: { readonly point: Point; readonly transitInfo: string },
  domain: string,
  bufferSize: number,
): Promise<Prepared<Uint8Array>> {
  const blinded = await blind(transit.point, multiplier);
  const id = uuid();
  return {
    body: { id, crv: CURVE_NAME, ...pointToJson(blinded.point), transitInfo: transit.transitInfo },
    finish: async (output) => {
      const { point } = readResultPoint(output, id, domain);
      return decodeValue(await unblind(point, blinded, multiplier), bufferSize);
    },
  };
}
