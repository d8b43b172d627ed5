/**
 * The service's configuration: its shape, its defaults, and its validation at start-up.
 *
 * Every problem is reported with the exact path of the offending setting, e.g.
 * `config.domains[1].bufferSize: must be an integer 1..32`, and nothing starts until the whole
 * file is valid. Relative file paths are resolved against the config file's directory.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '@blindpseudo/core';

/** Operations an access rule names, each with the principal groups allowed (`*`: everyone). */
export const ACCESS_RULE_OPERATIONS = ['pseudonymize', 'identify', 'convertFrom', 'convertTo'] as const;
export type AccessRuleOperation = (typeof ACCESS_RULE_OPERATIONS)[number];
export type AccessRule = Readonly<Record<AccessRuleOperation, readonly string[]>>;

/** A public JSON Web Key Set as owners publish it. */
/** Scalar multiplier names (see multipliers.ts). */
export const MULTIPLIER_NAMES = ['auto', 'native', 'node', 'noble'] as const;
export type MultiplierName = (typeof MULTIPLIER_NAMES)[number];

export interface Jwks {
  readonly keys: readonly Record<string, unknown>[];
}

/**
 * One owner of a domain: the JWKS URL published in the domain document (`jku`), and where the
 * service reads the keys: fetched from `jku` itself, from a local `jwksFile`, or given inline.
 */
export interface OwnerConfig {
  readonly jku: string;
  readonly jwksFile?: string;
  readonly jwks?: Jwks;
}

export interface DomainConfig {
  readonly key: string;
  readonly description: string;
  readonly bufferSize: number;
  /** ISO-8601 duration, `PnDTnHnMnS`. */
  readonly timeToLiveInTransit: string;
  readonly owners: readonly OwnerConfig[];
  readonly accessRule: AccessRule;
}

export type MasterKeySource = { readonly file: string } | { readonly env: string };

export interface ServiceConfig {
  /** Scheme, host and port clients use to reach the service; audiences derive from it. */
  readonly publicBaseUrl: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly storage: { readonly kind: 'sqlite'; readonly file: string };
  readonly masterKey: MasterKeySource;
  /** Which scalar multiplier computes the operations (multipliers.ts). */
  readonly multiplier: MultiplierName;
  readonly limits: {
    readonly bodyLimitBytes: number;
    readonly requestTimeoutMs: number;
  };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly domains: readonly DomainConfig[];
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_PUBLIC_BASE_URL = `http://localhost:${DEFAULT_PORT}`;
export const MASTER_KEY_ENV = 'BLINDPSEUDO_MASTER_KEY';
export const DOMAIN_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A configuration setting that is missing or wrong; the message starts with its exact path. */
export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function object(v: unknown, path: string): Raw {
  if (!isObject(v)) throw new ConfigError(path, 'must be an object');
  return v;
}

function onlyKnown(obj: Raw, path: string, known: readonly string[]): void {
  for (const name of Object.keys(obj)) {
    if (!known.includes(name))
      throw new ConfigError(`${path}.${name}`, `unknown setting (expected one of ${known.join(', ')})`);
  }
}

function string(v: unknown, path: string, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(path, 'must be a non-empty string');
  return v;
}

function integer(v: unknown, path: string, min: number, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(path, `must be an integer ${min}..${max}`);
  }
  return v;
}

function httpUrl(v: unknown, path: string, fallback?: string): string {
  const text = string(v, path, fallback);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(path, 'must be an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(path, 'must be an http(s) URL');
  return text;
}

function filePath(v: unknown, path: string, baseDir: string, fallback?: string): string {
  const text = string(v, path, fallback);
  return isAbsolute(text) ? text : resolve(baseDir, text);
}

function accessRule(v: unknown, path: string): AccessRule {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, ACCESS_RULE_OPERATIONS);
  const rule = {} as Record<AccessRuleOperation, readonly string[]>;
  for (const op of ACCESS_RULE_OPERATIONS) {
    const groups = raw[op];
    if (groups === undefined) {
      rule[op] = Object.freeze(['*']);
      continue;
    }
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string' || g.length === 0)) {
      throw new ConfigError(`${path}.${op}`, 'must be an array of non-empty strings (principal groups, * for all)');
    }
    rule[op] = Object.freeze([...(groups as string[])]);
  }
  return Object.freeze(rule);
}

function owner(v: unknown, path: string, baseDir: string): OwnerConfig {
  const raw = object(v, path);
  onlyKnown(raw, path, ['jku', 'jwksFile', 'jwks']);
  const jku = httpUrl(raw.jku, `${path}.jku`);
  if (raw.jwksFile !== undefined && raw.jwks !== undefined) {
    throw new ConfigError(path, 'give either jwksFile or jwks, not both');
  }
  if (raw.jwksFile !== undefined)
    return Object.freeze({ jku, jwksFile: filePath(raw.jwksFile, `${path}.jwksFile`, baseDir) });
  if (raw.jwks !== undefined) {
    const jwks = object(raw.jwks, `${path}.jwks`);
    if (!Array.isArray(jwks.keys)) throw new ConfigError(`${path}.jwks.keys`, 'must be an array');
    return Object.freeze({ jku, jwks: { keys: jwks.keys as Record<string, unknown>[] } });
  }
  return Object.freeze({ jku });
}

/** Validates one domain definition (from the config file or the CLI). */
export function validateDomainConfig(v: unknown, path: string, baseDir: string): DomainConfig {
  const raw = object(v, path);
  onlyKnown(raw, path, ['key', 'description', 'bufferSize', 'timeToLiveInTransit', 'owners', 'accessRule']);
  const key = string(raw.key, `${path}.key`);
  if (!DOMAIN_KEY_PATTERN.test(key)) {
    throw new ConfigError(`${path}.key`, 'must be 1 to 64 letters, digits, _ . - (starting with a letter or digit)');
  }
  const timeToLiveInTransit = string(raw.timeToLiveInTransit, `${path}.timeToLiveInTransit`, 'PT10M');
  let ttl: number;
  try {
    ttl = parseDuration(timeToLiveInTransit);
  } catch {
    throw new ConfigError(`${path}.timeToLiveInTransit`, 'must be an ISO-8601 duration PnDTnHnMnS');
  }
  if (ttl < 1 || ttl > 7 * 86400)
    throw new ConfigError(`${path}.timeToLiveInTransit`, 'must be between 1 second and 7 days');
  const ownersRaw = raw.owners ?? [];
  if (!Array.isArray(ownersRaw)) throw new ConfigError(`${path}.owners`, 'must be an array');
  const owners = ownersRaw.map((o, i) => owner(o, `${path}.owners[${i}]`, baseDir));
  return Object.freeze({
    key,
    description: string(raw.description, `${path}.description`, key),
    bufferSize: integer(raw.bufferSize, `${path}.bufferSize`, 1, 32, 8),
    timeToLiveInTransit,
    owners: Object.freeze(owners),
    accessRule: accessRule(raw.accessRule, `${path}.accessRule`),
  });
}

function masterKey(v: unknown, path: string, baseDir: string): MasterKeySource {
  if (v === undefined) return Object.freeze({ env: MASTER_KEY_ENV });
  const raw = object(v, path);
  onlyKnown(raw, path, ['file', 'env']);
  if ((raw.file === undefined) === (raw.env === undefined))
    throw new ConfigError(path, 'give exactly one of file or env');
  if (raw.file !== undefined) return Object.freeze({ file: filePath(raw.file, `${path}.file`, baseDir) });
  return Object.freeze({ env: string(raw.env, `${path}.env`) });
}

/**
 * Validates a parsed config document. `baseDir` anchors relative paths (the config file's
 * directory). Throws {@link ConfigError} naming the first wrong setting.
 */
export function validateConfig(input: unknown, baseDir: string): ServiceConfig {
  const raw = object(input, 'config');
  onlyKnown(raw, 'config', [
    'publicBaseUrl',
    'listen',
    'storage',
    'masterKey',
    'multiplier',
    'limits',
    'logLevel',
    'domains',
  ]);
  const publicBaseUrl = httpUrl(raw.publicBaseUrl, 'config.publicBaseUrl', DEFAULT_PUBLIC_BASE_URL).replace(/\/+$/, '');

  const listenRaw = raw.listen === undefined ? {} : object(raw.listen, 'config.listen');
  onlyKnown(listenRaw, 'config.listen', ['host', 'port']);
  const storageRaw = raw.storage === undefined ? {} : object(raw.storage, 'config.storage');
  onlyKnown(storageRaw, 'config.storage', ['kind', 'file']);
  if (storageRaw.kind !== undefined && storageRaw.kind !== 'sqlite') {
    throw new ConfigError('config.storage.kind', 'must be "sqlite"');
  }
  const limitsRaw = raw.limits === undefined ? {} : object(raw.limits, 'config.limits');
  onlyKnown(limitsRaw, 'config.limits', ['bodyLimitBytes', 'requestTimeoutMs']);

  const multiplier = (raw.multiplier ?? 'auto') as MultiplierName;
  if (!MULTIPLIER_NAMES.includes(multiplier)) {
    throw new ConfigError('config.multiplier', `must be one of ${MULTIPLIER_NAMES.join(', ')}`);
  }
  const logLevel = raw.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as (typeof LOG_LEVELS)[number])) {
    throw new ConfigError('config.logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const domainsRaw = raw.domains ?? [];
  if (!Array.isArray(domainsRaw)) throw new ConfigError('config.domains', 'must be an array');
  const domains = domainsRaw.map((d, i) => validateDomainConfig(d, `config.domains[${i}]`, baseDir));
  const seen = new Set<string>();
  domains.forEach((d, i) => {
    if (seen.has(d.key)) throw new ConfigError(`config.domains[${i}].key`, `duplicate domain key ${d.key}`);
    seen.add(d.key);
  });

  return Object.freeze({
    publicBaseUrl,
    listen: Object.freeze({
      host: string(listenRaw.host, 'config.listen.host', '0.0.0.0'),
      port: integer(listenRaw.port, 'config.listen.port', 0, 65535, DEFAULT_PORT),
    }),
    storage: Object.freeze({
      kind: 'sqlite' as const,
      file: filePath(storageRaw.file, 'config.storage.file', baseDir, 'blindpseudo.db'),
    }),
    masterKey: masterKey(raw.masterKey, 'config.masterKey', baseDir),
    multiplier,
    limits: Object.freeze({
      bodyLimitBytes: integer(
        limitsRaw.bodyLimitBytes,
        'config.limits.bodyLimitBytes',
        1024,
        10 * 1024 * 1024,
        64 * 1024,
      ),
      requestTimeoutMs: integer(limitsRaw.requestTimeoutMs, 'config.limits.requestTimeoutMs', 100, 600_000, 30_000),
    }),
    logLevel: logLevel as ServiceConfig['logLevel'],
    domains: Object.freeze(domains),
  });
}

/** The audience of a domain: `<publicBaseUrl>/pseudo/v1/domains/<key>`. */
export function domainAudience(publicBaseUrl: string, domainKey: string): string {
  return `${publicBaseUrl}/pseudo/v1/domains/${domainKey}`;
}
