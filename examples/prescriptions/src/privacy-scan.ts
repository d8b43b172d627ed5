/**
 * The privacy scan: looks for secrets in what a party kept or received, byte for byte, in every
 * encoding they could have been written in. Used by the demo and the tests to prove who saw what:
 * SSINs (plain and formatted), free texts (UTF-8), and pseudonyms at rest (their x coordinate
 * as raw bytes, standard Base64, Base64url and hexadecimal).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatSsin } from '@blindpseudo/client';

export interface Needle {
  /** What it is, without its value (e.g. "SSIN of patient A"). */
  readonly label: string;
  readonly encodings: readonly { readonly name: string; readonly bytes: Buffer }[];
}

export interface Haystack {
  readonly name: string;
  readonly bytes: Buffer;
}

export interface Finding {
  readonly needle: string;
  readonly encoding: string;
  readonly where: string;
}

export function ssinNeedle(label: string, ssin: string): Needle {
  return {
    label,
    encodings: [
      { name: 'digits', bytes: Buffer.from(ssin) },
      { name: 'formatted', bytes: Buffer.from(formatSsin(ssin)) },
    ],
  };
}

export function textNeedle(label: string, text: string): Needle {
  return { label, encodings: [{ name: 'utf-8', bytes: Buffer.from(text, 'utf8') }] };
}

/** A pseudonym at rest from its stored x (standard Base64 of 66 bytes). */
export function atRestNeedle(label: string, xBase64: string): Needle {
  const raw = Buffer.from(xBase64, 'base64');
  return {
    label,
    encodings: [
      { name: 'raw', bytes: raw },
      { name: 'base64', bytes: Buffer.from(raw.toString('base64')) },
      { name: 'base64url', bytes: Buffer.from(raw.toString('base64url')) },
      { name: 'hex', bytes: Buffer.from(raw.toString('hex')) },
      { name: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase()) },
    ],
  };
}

/** Every file under `dir`, as haystacks named by their path relative to `dir`. */
export function filesUnder(dir: string, label = ''): Haystack[] {
  const out: Haystack[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push({ name: `${label}${relative(dir, full)}`, bytes: readFileSync(full) });
    }
  };
  walk(dir);
  return out;
}

export function scan(haystacks: readonly Haystack[], needles: readonly Needle[]): Finding[] {
  const findings: Finding[] = [];
  for (const hay of haystacks)
    for (const needle of needles)
      for (const encoding of needle.encodings)
        if (hay.bytes.includes(encoding.bytes))
          findings.push({ needle: needle.label, encoding: encoding.name, where: hay.name });
  return findings;
}
