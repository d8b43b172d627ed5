/** Test helpers acting as a client (encode, blind, call, unblind) and as an owner (open transits). */
import assert from 'node:assert/strict';
import { type GeneralJWE, exportJWK, generalDecrypt, generateKeyPair } from 'jose';
import {
  type Point,
  blind,
  encodeValue,
  fromBase64Url,
  openTransitInfo,
  pointFromJson,
  pointToJson,
  unblind,
  multiplyPoint,
  bytesToBigint,
} from '@blindpseudo/core';
import { join } from 'node:path';
import { scalarWrapContext } from '../src/domain-scalars.js';
import { KeyWrapper } from '../src/key-wrap.js';
import { loadMasterKey } from '../src/master-key.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { TestOwner, TestService } from '../src/testing.js';

export interface Owner {
  readonly owner: TestOwner;
  readonly privateKey: CryptoKey;
}

let ownerCount = 0;
/** An owner with one RSA-OAEP-256 key pair, publishing at a made-up jku. */
export async function makeOwner(name = `owner${++ownerCount}`): Promise<Owner> {
  const { publicKey, privateKey } = await generateKeyPair('RSA-OAEP-256', { extractable: true, modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: `${name}-key`, use: 'enc', alg: 'RSA-OAEP-256' };
  return { owner: { jku: `https://${name}.example.org/jwks.json`, jwks: { keys: [jwk] } }, privateKey };
}

export interface Answer {
  status: number;
  contentType: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  body: any;
}

export async function call(
  url: string,
  body?: unknown,
  init: { contentType?: string; raw?: string } = {},
): Promise<Answer> {
  const hasBody = body !== undefined || init.raw !== undefined;
  const response = await fetch(url, {
    method: hasBody ? 'POST' : 'GET',
    ...(hasBody ? { body: init.raw ?? JSON.stringify(body) } : {}),
    headers: hasBody ? { 'content-type': init.contentType ?? 'application/json' } : {},
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed };
}

/** An RFC 9457 problem of the given status and type (`urn:problem-type:belgif:<type>`). */
export function assertProblem(answer: Answer, status: number, type: string, detail?: RegExp): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.match(answer.contentType, /^application\/problem\+json/);
  assert.equal(answer.body.type, `urn:problem-type:belgif:${type}`);
  assert.equal(answer.body.status, status);
  assert.equal(typeof answer.body.title, 'string');
  assert.equal(typeof answer.body.detail, 'string');
  if (detail) assert.match(answer.body.detail, detail);
}

export const url = (svc: TestService, path: string): string => `${svc.baseUrl}/domains/${path}`;

export interface Transit {
  point: Point;
  transitInfo: string;
  answer: Answer;
}

/** Client: pseudonymize a value; returns the pseudonym in transit (unblinded). */
export async function pseudonymize(svc: TestService, domain: string, value: string): Promise<Transit> {
  const b = await blind(encodeValue(value));
  const answer = await call(url(svc, `${domain}/pseudonymize`), {
    id: crypto.randomUUID(),
    crv: 'P-521',
    ...pointToJson(b.point),
  });
  if (answer.status !== 200) throw new Error(`pseudonymize: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { point: await unblind(pointFromJson(answer.body), b.scalar), transitInfo: answer.body.transitInfo, answer };
}

/** Client: identify a pseudonym in transit; returns the value point (unblinded). */
export async function identify(
  svc: TestService,
  domain: string,
  transit: { point: Point; transitInfo: string },
): Promise<Point> {
  const b = await blind(transit.point);
  const answer = await call(url(svc, `${domain}/identify`), {
    id: crypto.randomUUID(),
    crv: 'P-521',
    ...pointToJson(b.point),
    transitInfo: transit.transitInfo,
  });
  if (answer.status !== 200) throw new Error(`identify: ${answer.status} ${JSON.stringify(answer.body)}`);
  return unblind(pointFromJson(answer.body), b.scalar);
}

/** Client: convert a pseudonym in transit (or, without transitInfo, at rest) to another domain. */
export async function convert(
  svc: TestService,
  from: string,
  to: string,
  point: Point,
  transitInfo?: string,
): Promise<Transit> {
  const b = await blind(point);
  const answer = await call(url(svc, `${from}/convertTo/${to}`), {
    id: crypto.randomUUID(),
    crv: 'P-521',
    ...pointToJson(b.point),
    ...(transitInfo === undefined ? {} : { transitInfo }),
  });
  if (answer.status !== 200) throw new Error(`convert: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { point: await unblind(pointFromJson(answer.body), b.scalar), transitInfo: answer.body.transitInfo, answer };
}

/** Owner: the domain's transit keys, decrypted from the domain document with the owner's key. */
export async function ownerTransitKeys(
  svc: TestService,
  domain: string,
  privateKey: CryptoKey,
): Promise<Map<string, Uint8Array>> {
  const doc = (await call(url(svc, domain))).body as { secretKeys: { kid: string; encoded: GeneralJWE }[] };
  const keys = new Map<string, Uint8Array>();
  for (const entry of doc.secretKeys) {
    const { plaintext } = await generalDecrypt(entry.encoded, privateKey);
    const jwk = JSON.parse(new TextDecoder().decode(plaintext)) as { k: string };
    keys.set(entry.kid, fromBase64Url(jwk.k));
  }
  return keys;
}

/** Owner: the pseudonym at rest (only its x identifies it) of a pseudonym in transit: s·P_transit. */
export async function atRest(
  svc: TestService,
  domain: string,
  privateKey: CryptoKey,
  transit: { point: Point; transitInfo: string },
): Promise<Point> {
  const keys = await ownerTransitKeys(svc, domain, privateKey);
  const audience = (await call(url(svc, domain))).body.audience as string;
  const { scalar } = await openTransitInfo(transit.transitInfo, { keys: (kid) => keys.get(kid), audience });
  return multiplyPoint(transit.point, scalar);
}

/** The domain scalar k_D of a software-key service, read from its database with its master key. */
export async function storedSoftwareScalar(dataDir: string, domainKey: string): Promise<bigint> {
  const { key } = await loadMasterKey({ file: join(dataDir, 'master.key') });
  const storage = new SqliteStorage(join(dataDir, 'blindpseudo.db'));
  try {
    const stored = await storage.getDomain(domainKey);
    if (stored === undefined) throw new Error(`no domain ${domainKey}`);
    const wrapped = Buffer.from(stored.wrappedScalar, 'base64');
    return bytesToBigint(new KeyWrapper(key).unwrap(wrapped, scalarWrapContext(domainKey)));
  } finally {
    await storage.close();
  }
}
