// Shared test helpers for the core tests (real crypto throughout).
import { randomScalar, type Point, encodeValue, multiplyPoint } from '@blindpseudo/core';

export const transitKey = (): Uint8Array => crypto.getRandomValues(new Uint8Array(32));

/** A random valid point (the encoding of a random value). */
export const randomPoint = (): Point => multiplyPoint(encodeValue('seed'), randomScalar());
