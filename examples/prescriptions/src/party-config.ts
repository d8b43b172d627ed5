/**
 * The configuration files of the two owner services of this example (the prescriptions backend
 * and the therapeutic-relation service): their shape and their validation at start-up. Every
 * problem names the exact setting (`backend.therlink.url: must be an http(s) URL`), and relative
 * file paths are resolved against the config file's directory.
 */
import { readFileSync } from 'node:fs';
import { HTTP_URL_RULE, parseHttpUrl } from '@blindpseudo/core';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type CallerCredential, ROLES, type Role } from './care-professionals.js';

export interface OwnerServiceConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /** Scheme, host and port others use to reach it; its JWKS is at `<publicUrl>/jwks.json`. */
  readonly publicUrl: string;
  /** The pseudonymisation service's base URLs (`…/pseudo/v1`), tried in order. */
  readonly serviceBaseUrls: readonly string[];
  /** A bearer token for the pseudonymisation service, when it requires one. */
  readonly serviceToken?: string;
  /** The SQLite file. */
  readonly database: string;
  /** The owner's RSA private key (PKCS#8 PEM file). */
  readonly privateKeyFile: string;
  /** Who may call, by bearer token. */
  readonly callers: readonly CallerCredential[];
  readonly logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
}

export interface BackendConfig extends OwnerServiceConfig {
  /** Double pseudonymisation: the owner-scalar key file (see @blindpseudo/owner). */
  readonly ownerScalarFile?: string;
  /** The therapeutic-relation service, and the backend's token there. */
  readonly therlink: { readonly url: string; readonly token: string };
}

export type TherlinkConfig = OwnerServiceConfig;

/** A setting that is missing or wrong; the message starts with its exact path. */
export class PartyConfigError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'PartyConfigError';
  }
}

type Raw = Record<string, unknown>;
const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;

function object(v: unknown, path: string): Raw {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PartyConfigError(path, 'must be an object');
  return v as Raw;
}

function onlyKnown(obj: Raw, path: string, known: readonly string[]): void {
  for (const name of Object.keys(obj))
    if (!known.includes(name))
      throw new PartyConfigError(`${path}.${name}`, `unknown setting (expected one of ${known.join(', ')})`);
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new PartyConfigError(path, 'must be a non-empty string');
  return v;
}

function httpUrl(v: unknown, path: string): string {
  const text = string(v, path);
  if (parseHttpUrl(text) === undefined) throw new PartyConfigError(path, HTTP_URL_RULE);
  return text.replace(/\/+$/, '');
}

function file(v: unknown, path: string, baseDir: string): string {
  const text = string(v, path);
  return isAbsolute(text) ? text : resolve(baseDir, text);
}

function callers(v: unknown, path: string, allowed: readonly Role[]): CallerCredential[] {
  if (!Array.isArray(v) || v.length === 0) throw new PartyConfigError(path, 'must be a non-empty array');
  return v.map((entry, i) => {
    const p = `${path}[${i}]`;
    const raw = object(entry, p);
    onlyKnown(raw, p, ['id', 'role', 'token']);
    const role = raw.role as Role;
    if (!ROLES.includes(role) || !allowed.includes(role))
      throw new PartyConfigError(`${p}.role`, `must be one of ${allowed.join(', ')}`);
    const token = string(raw.token, `${p}.token`);
    if (token.length < 16) throw new PartyConfigError(`${p}.token`, 'must be at least 16 characters');
    return Object.freeze({ id: string(raw.id, `${p}.id`), role, token });
  });
}

const COMMON = [
  'listen',
  'publicUrl',
  'serviceBaseUrls',
  'serviceToken',
  'database',
  'privateKeyFile',
  'callers',
  'logLevel',
];

function common(raw: Raw, path: string, baseDir: string, roles: readonly Role[]): OwnerServiceConfig {
  const listen = object(raw.listen, `${path}.listen`);
  onlyKnown(listen, `${path}.listen`, ['host', 'port']);
  const port = listen.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new PartyConfigError(`${path}.listen.port`, 'must be an integer 0..65535');
  const urls = raw.serviceBaseUrls;
  if (!Array.isArray(urls) || urls.length === 0)
    throw new PartyConfigError(`${path}.serviceBaseUrls`, 'must be a non-empty array of URLs');
  const logLevel = raw.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as (typeof LOG_LEVELS)[number]))
    throw new PartyConfigError(`${path}.logLevel`, `must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    listen: { host: string(listen.host ?? '127.0.0.1', `${path}.listen.host`), port },
    publicUrl: httpUrl(raw.publicUrl, `${path}.publicUrl`),
    serviceBaseUrls: urls.map((u, i) => httpUrl(u, `${path}.serviceBaseUrls[${i}]`)),
    ...(raw.serviceToken === undefined ? {} : { serviceToken: string(raw.serviceToken, `${path}.serviceToken`) }),
    database: file(raw.database, `${path}.database`, baseDir),
    privateKeyFile: file(raw.privateKeyFile, `${path}.privateKeyFile`, baseDir),
    callers: callers(raw.callers, `${path}.callers`, roles),
    logLevel: logLevel as OwnerServiceConfig['logLevel'],
  };
}

export function validateBackendConfig(input: unknown, baseDir: string): BackendConfig {
  const raw = object(input, 'backend');
  onlyKnown(raw, 'backend', [...COMMON, 'ownerScalarFile', 'therlink']);
  const therlink = object(raw.therlink, 'backend.therlink');
  onlyKnown(therlink, 'backend.therlink', ['url', 'token']);
  return Object.freeze({
    ...common(raw, 'backend', baseDir, ['prescriber', 'pharmacist']),
    ...(raw.ownerScalarFile === undefined
      ? {}
      : { ownerScalarFile: file(raw.ownerScalarFile, 'backend.ownerScalarFile', baseDir) }),
    therlink: {
      url: httpUrl(therlink.url, 'backend.therlink.url'),
      token: string(therlink.token, 'backend.therlink.token'),
    },
  });
}

export function validateTherlinkConfig(input: unknown, baseDir: string): TherlinkConfig {
  const raw = object(input, 'therlink');
  onlyKnown(raw, 'therlink', COMMON);
  return Object.freeze(common(raw, 'therlink', baseDir, ['pharmacist', 'prescriber', 'backend']));
}

/** Reads and validates a JSON config file. */
export function loadConfigFile<T>(path: string, validate: (input: unknown, baseDir: string) => T): T {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PartyConfigError(path, `cannot read a JSON config file (${(err as Error).message})`);
  }
  return validate(input, dirname(resolve(path)));
}
