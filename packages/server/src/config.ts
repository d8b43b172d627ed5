/**
 * The service's configuration: its shape, its defaults, and its validation at start-up.
 *
 * Every problem is reported with the exact path of the offending setting, e.g.
 * `config.domains[1].bufferSize: must be an integer 1..32`, and nothing starts until the whole
 * file is valid. Relative file paths are resolved against the config file's directory.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '@blindpseudo/core';

/**
 * Operations an access rule names. `readSecretKeys` makes a principal an owner of the domain: it
 * gets the domain document's secretKeys and may convert pseudonyms at rest (no transitInfo).
 */
export const ACCESS_RULE_OPERATIONS = [
  'pseudonymize',
  'identify',
  'convertFrom',
  'convertTo',
  'readSecretKeys',
] as const;
export type AccessRuleOperation = (typeof ACCESS_RULE_OPERATIONS)[number];
/**
 * Who may call each operation: `principal:<id>`, `group:<name>` (matched on the groups of the
 * token, certificate or stored principal), or `*` (any authenticated principal). Default deny.
 */
export type AccessRule = Readonly<Record<AccessRuleOperation, readonly string[]>>;
export const ACCESS_SUBJECT_PATTERN = /^(\*|(principal|group):[^\s]{1,200})$/;

/**
 * Explicit authorization in transit: with `bindSubject` the service writes the caller as `sub`
 * in every transitInfo it makes for the domain and refuses to identify or convert a transit
 * whose `sub` names someone else; with `singleUse` it adds a `jti` (owners enforce single use).
 */
export interface TransitPolicy {
  readonly bindSubject: boolean;
  readonly singleUse: boolean;
}

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
  readonly transitPolicy: TransitPolicy;
}

/** Bearer JWTs (OAuth2 access tokens), verified with `jose`. */
export interface JwtAuthConfig {
  /** Where the issuer's public keys are: exactly one of jwksUrl and jwksFile. */
  readonly jwksUrl?: string;
  readonly jwksFile?: string;
  readonly issuer: string;
  readonly audience: string;
  /** Signature algorithms accepted (allow-list). */
  readonly algorithms: readonly string[];
  /** The claim naming the principal (default `sub`). */
  readonly principalClaim: string;
  /** The claim holding the principal's groups, a string or an array of strings (default `groups`). */
  readonly groupsClaim: string;
  readonly clockToleranceSeconds: number;
}

/** Mutual TLS: client certificates issued by a trusted CA (as eHealth certificates are). */
export interface MtlsAuthConfig {
  /** PEM file of the CA(s) whose client certificates are trusted. */
  readonly caFile: string;
  /** The principal: the certificate subject's CN, or its whole subject (`CN=…, OU=…`). */
  readonly principalFrom: 'commonName' | 'subject';
}

/** A development-mode token: `Authorization: Bearer <token>` acts as `principal`. */
export interface StaticToken {
  readonly token: string;
  readonly principal: string;
  readonly groups: readonly string[];
}

export interface AuthConfig {
  /** `required` (default): every API call is authenticated. `development` allows the settings below. */
  readonly mode: 'required' | 'development';
  readonly jwt: JwtAuthConfig | undefined;
  readonly mtls: MtlsAuthConfig | undefined;
  /** DEVELOPMENT ONLY: fixed bearer tokens. */
  readonly staticTokens: readonly StaticToken[];
  /** DEVELOPMENT ONLY: callers without credentials act as this principal. */
  readonly unauthenticatedPrincipal: { readonly principal: string; readonly groups: readonly string[] } | undefined;
  /** Members of these groups may call the admin API (`/admin/v1`). */
  readonly adminGroups: readonly string[];
}

/** Per-principal limits; each is off when absent. */
export interface RateLimitConfig {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

export const QUOTA_OPERATIONS = ['pseudonymize', 'identify', 'convert'] as const;
export type QuotaOperation = (typeof QUOTA_OPERATIONS)[number];

export type MasterKeySource = { readonly file: string } | { readonly env: string };

export interface ServiceConfig {
  /** Scheme, host and port clients use to reach the service; audiences derive from it. */
  readonly publicBaseUrl: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly storage: StorageConfig;
  readonly masterKey: MasterKeySource;
  /** Which scalar multiplier computes the operations (multipliers.ts). */
  readonly multiplier: MultiplierName;
  /** HTTPS (required for mutual TLS): PEM files of the service's certificate and key. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly auth: AuthConfig;
  readonly limits: {
    readonly bodyLimitBytes: number;
    readonly requestTimeoutMs: number;
    /** Requests per second per principal (token bucket). */
    readonly rate: RateLimitConfig | undefined;
    /** Items per principal per UTC day, by operation; counted in storage. */
    readonly dailyQuota: Readonly<Partial<Record<QuotaOperation, number>>>;
    /** Alarm (log line and metric) when a principal's items of one operation in a UTC day pass this. */
    readonly enumerationAlarmItemsPerDay: number | undefined;
  };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly domains: readonly DomainConfig[];
  /** Cross-origin calls from browser apps (cors.ts): exact origins allowed; none by default. */
  readonly cors: CorsConfig;
  /** Reading owners' JWKS again (owner-jwks-refresh.ts): owners with a `jku` fetched or a `jwksFile`. */
  readonly ownerJwksRefresh: OwnerJwksRefreshConfig;
}

/**
 * Where the service keeps its state: a SQLite file (the embedded default, one instance) or
 * PostgreSQL (`storage.postgres`, shared by several instances).
 */
export interface StorageConfig {
  readonly kind: 'sqlite' | 'postgres';
  /** The SQLite file (used when kind is sqlite). */
  readonly file: string;
  readonly postgres: PostgresConfig | undefined;
}

export interface PostgresConfig {
  /** `postgres://user:password@host:port/database` (libpq parameters such as sslmode allowed). */
  readonly url: string;
  /** Connections per process. */
  readonly poolSize: number;
  /** Longest a statement may run before the server cancels it. */
  readonly statementTimeoutMs: number;
  /** Longest wait for a connection (new, or free in the pool). */
  readonly connectTimeoutMs: number;
  /** TLS to the server: trusted CA, client certificate, and whether to verify the server. */
  readonly tls:
    | {
        readonly caFile?: string;
        readonly certFile?: string;
        readonly keyFile?: string;
        readonly rejectUnauthorized: boolean;
      }
    | undefined;
}

export interface OwnerJwksRefreshConfig {
  /** Seconds between two refreshes (at least 60). */
  readonly intervalSeconds: number;
  /** How long one fetch of an owner's JWKS may take. */
  readonly timeoutMs: number;
}

export interface CorsConfig {
  /** Exact origins (`https://app.example.org`, scheme, host and port only), compared as strings. */
  readonly allowedOrigins: readonly string[];
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

function boolean(v: unknown, path: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(path, 'must be true or false');
  return v;
}

function stringArray(v: unknown, path: string, fallback: readonly string[]): readonly string[] {
  if (v === undefined) return Object.freeze([...fallback]);
  if (!Array.isArray(v) || v.some((g) => typeof g !== 'string' || g.length === 0))
    throw new ConfigError(path, 'must be an array of non-empty strings');
  return Object.freeze([...(v as string[])]);
}

function accessRule(v: unknown, path: string): AccessRule {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, ACCESS_RULE_OPERATIONS);
  const rule = {} as Record<AccessRuleOperation, readonly string[]>;
  for (const op of ACCESS_RULE_OPERATIONS) {
    const subjects = raw[op] ?? [];
    if (!Array.isArray(subjects) || subjects.some((g) => typeof g !== 'string' || !ACCESS_SUBJECT_PATTERN.test(g))) {
      throw new ConfigError(`${path}.${op}`, 'must be an array of "principal:<id>", "group:<name>" or "*"');
    }
    rule[op] = Object.freeze([...new Set(subjects as string[])]);
  }
  return Object.freeze(rule);
}

function transitPolicy(v: unknown, path: string): TransitPolicy {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, ['bindSubject', 'singleUse']);
  return Object.freeze({
    bindSubject: boolean(raw.bindSubject, `${path}.bindSubject`, false),
    singleUse: boolean(raw.singleUse, `${path}.singleUse`, false),
  });
}

const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function jwtAuth(v: unknown, path: string, baseDir: string): JwtAuthConfig {
  const raw = object(v, path);
  onlyKnown(raw, path, [
    'jwksUrl',
    'jwksFile',
    'issuer',
    'audience',
    'algorithms',
    'principalClaim',
    'groupsClaim',
    'clockToleranceSeconds',
  ]);
  if ((raw.jwksUrl === undefined) === (raw.jwksFile === undefined))
    throw new ConfigError(path, 'give exactly one of jwksUrl or jwksFile');
  const algorithms = stringArray(raw.algorithms, `${path}.algorithms`, ['RS256', 'ES256']);
  const unknown = algorithms.find((a) => !JWT_ALGORITHMS.includes(a));
  if (unknown !== undefined || algorithms.length === 0)
    throw new ConfigError(`${path}.algorithms`, `must be a non-empty list of ${JWT_ALGORITHMS.join(', ')}`);
  return Object.freeze({
    ...(raw.jwksUrl === undefined ? {} : { jwksUrl: httpUrl(raw.jwksUrl, `${path}.jwksUrl`) }),
    ...(raw.jwksFile === undefined ? {} : { jwksFile: filePath(raw.jwksFile, `${path}.jwksFile`, baseDir) }),
    issuer: string(raw.issuer, `${path}.issuer`),
    audience: string(raw.audience, `${path}.audience`),
    algorithms,
    principalClaim: string(raw.principalClaim, `${path}.principalClaim`, 'sub'),
    groupsClaim: string(raw.groupsClaim, `${path}.groupsClaim`, 'groups'),
    clockToleranceSeconds: integer(raw.clockToleranceSeconds, `${path}.clockToleranceSeconds`, 0, 300, 30),
  });
}

function mtlsAuth(v: unknown, path: string, baseDir: string): MtlsAuthConfig {
  const raw = object(v, path);
  onlyKnown(raw, path, ['caFile', 'principalFrom']);
  const principalFrom = raw.principalFrom ?? 'commonName';
  if (principalFrom !== 'commonName' && principalFrom !== 'subject')
    throw new ConfigError(`${path}.principalFrom`, 'must be "commonName" or "subject"');
  return Object.freeze({ caFile: filePath(raw.caFile, `${path}.caFile`, baseDir), principalFrom });
}

/** Static tokens must be long enough not to be guessed, even in development. */
const MIN_STATIC_TOKEN_LENGTH = 24;

function staticToken(v: unknown, path: string): StaticToken {
  const raw = object(v, path);
  onlyKnown(raw, path, ['token', 'principal', 'groups']);
  const token = string(raw.token, `${path}.token`);
  if (token.length < MIN_STATIC_TOKEN_LENGTH || /\s/.test(token))
    throw new ConfigError(`${path}.token`, `must be at least ${MIN_STATIC_TOKEN_LENGTH} characters without spaces`);
  return Object.freeze({
    token,
    principal: string(raw.principal, `${path}.principal`),
    groups: stringArray(raw.groups, `${path}.groups`, []),
  });
}

function auth(v: unknown, path: string, baseDir: string): AuthConfig {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, ['mode', 'jwt', 'mtls', 'development', 'adminGroups']);
  const mode = raw.mode ?? 'required';
  if (mode !== 'required' && mode !== 'development')
    throw new ConfigError(`${path}.mode`, 'must be "required" or "development"');
  let staticTokens: readonly StaticToken[] = [];
  let unauthenticatedPrincipal: AuthConfig['unauthenticatedPrincipal'];
  if (raw.development !== undefined) {
    if (mode !== 'development')
      throw new ConfigError(`${path}.development`, `only allowed with ${path}.mode "development"`);
    const dev = object(raw.development, `${path}.development`);
    onlyKnown(dev, `${path}.development`, ['staticTokens', 'unauthenticatedPrincipal']);
    const tokens = dev.staticTokens ?? [];
    if (!Array.isArray(tokens)) throw new ConfigError(`${path}.development.staticTokens`, 'must be an array');
    staticTokens = Object.freeze(tokens.map((t, i) => staticToken(t, `${path}.development.staticTokens[${i}]`)));
    if (dev.unauthenticatedPrincipal !== undefined) {
      const p = `${path}.development.unauthenticatedPrincipal`;
      const u = object(dev.unauthenticatedPrincipal, p);
      onlyKnown(u, p, ['principal', 'groups']);
      unauthenticatedPrincipal = Object.freeze({
        principal: string(u.principal, `${p}.principal`),
        groups: stringArray(u.groups, `${p}.groups`, []),
      });
    }
  }
  return Object.freeze({
    mode,
    jwt: raw.jwt === undefined ? undefined : jwtAuth(raw.jwt, `${path}.jwt`, baseDir),
    mtls: raw.mtls === undefined ? undefined : mtlsAuth(raw.mtls, `${path}.mtls`, baseDir),
    staticTokens,
    unauthenticatedPrincipal,
    adminGroups: stringArray(raw.adminGroups, `${path}.adminGroups`, ['blindpseudo-admin']),
  });
}

function tls(v: unknown, path: string, baseDir: string): ServiceConfig['tls'] {
  if (v === undefined) return undefined;
  const raw = object(v, path);
  onlyKnown(raw, path, ['certFile', 'keyFile']);
  return Object.freeze({
    certFile: filePath(raw.certFile, `${path}.certFile`, baseDir),
    keyFile: filePath(raw.keyFile, `${path}.keyFile`, baseDir),
  });
}

function postgresTls(v: unknown, path: string, baseDir: string): PostgresConfig['tls'] {
  if (v === undefined) return undefined;
  const raw = object(v, path);
  onlyKnown(raw, path, ['caFile', 'certFile', 'keyFile', 'rejectUnauthorized']);
  if ((raw.certFile === undefined) !== (raw.keyFile === undefined))
    throw new ConfigError(path, 'give both certFile and keyFile, or neither');
  const file = (name: string): object =>
    raw[name] === undefined ? {} : { [name]: filePath(raw[name], `${path}.${name}`, baseDir) };
  return Object.freeze({
    ...file('caFile'),
    ...file('certFile'),
    ...file('keyFile'),
    rejectUnauthorized: boolean(raw.rejectUnauthorized, `${path}.rejectUnauthorized`, true),
  });
}

function postgres(v: unknown, path: string, baseDir: string): PostgresConfig {
  const raw = object(v, path);
  onlyKnown(raw, path, ['url', 'poolSize', 'statementTimeoutMs', 'connectTimeoutMs', 'tls']);
  const url = string(raw.url, `${path}.url`);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(`${path}.url`, 'must be a postgres:// URL');
  return Object.freeze({
    url,
    poolSize: integer(raw.poolSize, `${path}.poolSize`, 1, 1000, 10),
    statementTimeoutMs: integer(raw.statementTimeoutMs, `${path}.statementTimeoutMs`, 100, 600_000, 5000),
    connectTimeoutMs: integer(raw.connectTimeoutMs, `${path}.connectTimeoutMs`, 100, 600_000, 2000),
    tls: postgresTls(raw.tls, `${path}.tls`, baseDir),
  });
}

function storage(v: unknown, path: string, baseDir: string): StorageConfig {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, ['kind', 'file', 'postgres']);
  const kind = raw.kind ?? (raw.postgres === undefined ? 'sqlite' : 'postgres');
  if (kind !== 'sqlite' && kind !== 'postgres') throw new ConfigError(`${path}.kind`, 'must be "sqlite" or "postgres"');
  if (kind === 'postgres' && raw.postgres === undefined) throw new ConfigError(`${path}.postgres`, 'is required');
  if (kind === 'sqlite' && raw.postgres !== undefined)
    throw new ConfigError(`${path}.postgres`, 'not allowed with kind "sqlite"');
  return Object.freeze({
    kind,
    file: filePath(raw.file, `${path}.file`, baseDir, 'blindpseudo.db'),
    postgres: kind === 'postgres' ? postgres(raw.postgres, `${path}.postgres`, baseDir) : undefined,
  });
}

function rateLimit(v: unknown, path: string): RateLimitConfig | undefined {
  if (v === undefined) return undefined;
  const raw = object(v, path);
  onlyKnown(raw, path, ['requestsPerSecond', 'burst']);
  const requestsPerSecond = integer(raw.requestsPerSecond, `${path}.requestsPerSecond`, 1, 1_000_000);
  return Object.freeze({
    requestsPerSecond,
    burst: integer(raw.burst, `${path}.burst`, 1, 10_000_000, requestsPerSecond),
  });
}

function dailyQuota(v: unknown, path: string): Readonly<Partial<Record<QuotaOperation, number>>> {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, QUOTA_OPERATIONS);
  const quota: Partial<Record<QuotaOperation, number>> = {};
  for (const op of QUOTA_OPERATIONS) {
    if (raw[op] !== undefined) quota[op] = integer(raw[op], `${path}.${op}`, 1, 1_000_000_000);
  }
  return Object.freeze(quota);
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
  onlyKnown(raw, path, [
    'key',
    'description',
    'bufferSize',
    'timeToLiveInTransit',
    'owners',
    'accessRule',
    'transitPolicy',
  ]);
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
    transitPolicy: transitPolicy(raw.transitPolicy, `${path}.transitPolicy`),
  });
}

function cors(v: unknown, path: string): CorsConfig {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, ['allowedOrigins']);
  const origins = raw.allowedOrigins ?? [];
  if (!Array.isArray(origins)) throw new ConfigError(`${path}.allowedOrigins`, 'must be an array');
  const allowed = origins.map((o, i) => {
    const at = `${path}.allowedOrigins[${i}]`;
    let url: URL;
    try {
      url = new URL(string(o, at));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(at, 'must be an origin such as https://app.example.org');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(at, 'must be an http(s) origin');
    // Browsers send the origin serialised: scheme://host[:port], lower case, no default port, no slash.
    if (url.origin !== o)
      throw new ConfigError(at, `must be an origin only, exactly as browsers send it (here ${url.origin})`);
    return o as string;
  });
  return Object.freeze({ allowedOrigins: Object.freeze([...new Set(allowed)]) });
}

function ownerJwksRefresh(v: unknown, path: string): OwnerJwksRefreshConfig {
  const raw = v === undefined ? {} : object(v, path);
  onlyKnown(raw, path, ['intervalSeconds', 'timeoutMs']);
  return Object.freeze({
    intervalSeconds: integer(raw.intervalSeconds, `${path}.intervalSeconds`, 60, 7 * 86400, 3600),
    timeoutMs: integer(raw.timeoutMs, `${path}.timeoutMs`, 100, 60_000, 5000),
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
    'tls',
    'auth',
    'cors',
    'ownerJwksRefresh',
  ]);
  const publicBaseUrl = httpUrl(raw.publicBaseUrl, 'config.publicBaseUrl', DEFAULT_PUBLIC_BASE_URL).replace(/\/+$/, '');

  const listenRaw = raw.listen === undefined ? {} : object(raw.listen, 'config.listen');
  onlyKnown(listenRaw, 'config.listen', ['host', 'port']);
  const limitsRaw = raw.limits === undefined ? {} : object(raw.limits, 'config.limits');
  onlyKnown(limitsRaw, 'config.limits', [
    'bodyLimitBytes',
    'requestTimeoutMs',
    'rate',
    'dailyQuota',
    'enumerationAlarmItemsPerDay',
  ]);
  const authConfig = auth(raw.auth, 'config.auth', baseDir);
  const tlsConfig = tls(raw.tls, 'config.tls', baseDir);
  if (authConfig.mtls !== undefined && tlsConfig === undefined)
    throw new ConfigError('config.auth.mtls', 'needs config.tls (mutual TLS is TLS)');

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
    storage: storage(raw.storage, 'config.storage', baseDir),
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
      rate: rateLimit(limitsRaw.rate, 'config.limits.rate'),
      dailyQuota: dailyQuota(limitsRaw.dailyQuota, 'config.limits.dailyQuota'),
      enumerationAlarmItemsPerDay:
        limitsRaw.enumerationAlarmItemsPerDay === undefined
          ? undefined
          : integer(
              limitsRaw.enumerationAlarmItemsPerDay,
              'config.limits.enumerationAlarmItemsPerDay',
              1,
              1_000_000_000,
            ),
    }),
    tls: tlsConfig,
    auth: authConfig,
    logLevel: logLevel as ServiceConfig['logLevel'],
    domains: Object.freeze(domains),
    cors: cors(raw.cors, 'config.cors'),
    ownerJwksRefresh: ownerJwksRefresh(raw.ownerJwksRefresh, 'config.ownerJwksRefresh'),
  });
}

/** The audience of a domain: `<publicBaseUrl>/pseudo/v1/domains/<key>`. */
export function domainAudience(publicBaseUrl: string, domainKey: string): string {
  return `${publicBaseUrl}/pseudo/v1/domains/${domainKey}`;
}
