/**
 * The service's configuration: its shape as the service uses it, and its validation at start-up
 * against the JSON Schema of config-schema.ts (settings, ranges, defaults), then what a schema
 * cannot say: relative file paths resolved against the config file's directory, settings that
 * exclude or need each other, unique domain keys, the range of a duration.
 *
 * Every problem is reported with the exact path of the offending setting, e.g.
 * `config.domains[1].bufferSize: must be an integer 1..32`, and nothing starts until the whole
 * file is valid.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '@blindpseudo/core';
import {
  ACCESS_RULE_OPERATIONS,
  type ConfigDocument,
  type DomainDocument,
  MASTER_KEY_ENV,
  type MULTIPLIER_NAMES,
  type QUOTA_OPERATIONS,
  configSchema,
  domainSchema,
} from './config-schema.js';
import { ConfigError } from './errors.js';
import { type SettingsCheck, compileConfigSchema } from './json-schema.js';
import { type KeyStoreConfig, validateKeyStoreConfig } from './keystore/key-store-config.js';

export {
  ACCESS_RULE_OPERATIONS,
  ACCESS_SUBJECT_PATTERN,
  DEFAULT_PORT,
  DEFAULT_PUBLIC_BASE_URL,
  DOMAIN_KEY_PATTERN,
  MASTER_KEY_ENV,
  MULTIPLIER_NAMES,
  QUOTA_OPERATIONS,
} from './config-schema.js';

/**
 * Operations an access rule names. `readSecretKeys` makes a principal an owner of the domain: it
 * gets the domain document's secretKeys and may convert pseudonyms at rest (no transitInfo).
 */
export type AccessRuleOperation = (typeof ACCESS_RULE_OPERATIONS)[number];
/**
 * Who may call each operation: `principal:<id>`, `group:<name>` (matched on the groups of the
 * token, certificate or stored principal), or `*` (any authenticated principal). Default deny.
 */
export type AccessRule = Readonly<Record<AccessRuleOperation, readonly string[]>>;

/**
 * Explicit authorization in transit: with `bindSubject` the service writes the caller as `sub`
 * in every transitInfo it makes for the domain and refuses to identify or convert a transit
 * whose `sub` names someone else; with `singleUse` it adds a `jti` and identifies or converts
 * each transit of the domain once, across instances (single-use.ts); owners enforce it too.
 */
export interface TransitPolicy {
  readonly bindSubject: boolean;
  readonly singleUse: boolean;
}

/** Scalar multiplier names (see multipliers.ts). */
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

export type QuotaOperation = (typeof QUOTA_OPERATIONS)[number];

export type MasterKeySource = { readonly file: string } | { readonly env: string };

export interface ServiceConfig {
  /** Scheme, host and port clients use to reach the service; audiences derive from it. */
  readonly publicBaseUrl: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly storage: StorageConfig;
  readonly masterKey: MasterKeySource;
  /** Which key store holds the keys: software (default, under the master key) or a PKCS#11 token. */
  readonly keyStore: KeyStoreConfig;
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

const checkConfig = compileConfigSchema<ConfigDocument>(configSchema);
const checkDomain = compileConfigSchema<DomainDocument>(domainSchema);

/** The document, validated against its schema (defaults filled in), or the first wrong setting. */
function validated<T>(check: SettingsCheck<T>, input: unknown, root: string): T {
  const result = check(input, root);
  if (!result.valid) throw new ConfigError(result.path, result.problem);
  return result.value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** Exactly one of two settings of an object at `path`. */
function exactlyOne(obj: object, a: string, b: string, path: string): void {
  if (a in obj === b in obj) throw new ConfigError(path, `give exactly one of ${a} or ${b}`);
}

const TTL_MAX_SECONDS = 7 * 86400;

function owner(o: DomainDocument['owners'][number], path: string, baseDir: string): OwnerConfig {
  if (o.jwksFile !== undefined && o.jwks !== undefined)
    throw new ConfigError(path, 'give either jwksFile or jwks, not both');
  if (o.jwksFile !== undefined) return { jku: o.jku, jwksFile: inDir(baseDir, o.jwksFile) };
  return o.jwks === undefined ? { jku: o.jku } : { jku: o.jku, jwks: { keys: o.jwks.keys } };
}

function domain(d: DomainDocument, path: string, baseDir: string): DomainConfig {
  const ttl = parseDuration(d.timeToLiveInTransit);
  if (ttl < 1 || ttl > TTL_MAX_SECONDS)
    throw new ConfigError(`${path}.timeToLiveInTransit`, 'must be between 1 second and 7 days');
  const rule = Object.fromEntries(ACCESS_RULE_OPERATIONS.map((op) => [op, [...new Set(d.accessRule[op])]]));
  return {
    key: d.key,
    description: d.description ?? d.key,
    bufferSize: d.bufferSize,
    timeToLiveInTransit: d.timeToLiveInTransit,
    owners: d.owners.map((o, i) => owner(o, `${path}.owners[${i}]`, baseDir)),
    accessRule: rule as unknown as AccessRule,
    transitPolicy: d.transitPolicy,
  };
}

/** Validates one domain definition (from the config file, the CLI or the admin API). */
export function validateDomainConfig(v: unknown, path: string, baseDir: string): DomainConfig {
  return deepFreeze(domain(validated(checkDomain, v, path), path, baseDir));
}

function inDir(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : resolve(baseDir, file);
}

function auth(a: ConfigDocument['auth'], baseDir: string): AuthConfig {
  const path = 'config.auth';
  if (a.jwt !== undefined) exactlyOne(a.jwt, 'jwksUrl', 'jwksFile', `${path}.jwt`);
  if (a.development !== undefined && a.mode !== 'development')
    throw new ConfigError(`${path}.development`, `only allowed with ${path}.mode "development"`);
  const { jwksFile, ...jwt } = a.jwt ?? {};
  return {
    mode: a.mode,
    jwt:
      a.jwt === undefined
        ? undefined
        : ({ ...jwt, ...(jwksFile === undefined ? {} : { jwksFile: inDir(baseDir, jwksFile) }) } as JwtAuthConfig),
    mtls: a.mtls === undefined ? undefined : { ...a.mtls, caFile: inDir(baseDir, a.mtls.caFile) },
    staticTokens: a.development?.staticTokens ?? [],
    unauthenticatedPrincipal: a.development?.unauthenticatedPrincipal,
    adminGroups: a.adminGroups,
  };
}

function storage(s: ConfigDocument['storage'], baseDir: string): StorageConfig {
  const path = 'config.storage';
  const kind = s.kind ?? (s.postgres === undefined ? 'sqlite' : 'postgres');
  if (kind === 'postgres' && s.postgres === undefined) throw new ConfigError(`${path}.postgres`, 'is required');
  if (kind === 'sqlite' && s.postgres !== undefined)
    throw new ConfigError(`${path}.postgres`, 'not allowed with kind "sqlite"');
  const tls = s.postgres?.tls;
  if (tls !== undefined && 'certFile' in tls !== 'keyFile' in tls)
    throw new ConfigError(`${path}.postgres.tls`, 'give both certFile and keyFile, or neither');
  const files = (t: NonNullable<typeof tls>) =>
    Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'string' ? inDir(baseDir, v) : v]));
  return {
    kind,
    file: inDir(baseDir, s.file),
    postgres:
      kind === 'postgres'
        ? ({ ...s.postgres!, tls: tls === undefined ? undefined : files(tls) } as PostgresConfig)
        : undefined,
  };
}

function masterKey(m: ConfigDocument['masterKey'], baseDir: string): MasterKeySource {
  if (m === undefined) return { env: MASTER_KEY_ENV };
  exactlyOne(m, 'file', 'env', 'config.masterKey');
  return m.file !== undefined ? { file: inDir(baseDir, m.file) } : { env: m.env! };
}

function limits(l: ConfigDocument['limits']): ServiceConfig['limits'] {
  return {
    bodyLimitBytes: l.bodyLimitBytes,
    requestTimeoutMs: l.requestTimeoutMs,
    rate: l.rate === undefined ? undefined : { ...l.rate, burst: l.rate.burst ?? l.rate.requestsPerSecond },
    dailyQuota: l.dailyQuota,
    enumerationAlarmItemsPerDay: l.enumerationAlarmItemsPerDay,
  };
}

function domains(list: ConfigDocument['domains'], baseDir: string): DomainConfig[] {
  const seen = new Set<string>();
  return list.map((d, i) => {
    const path = `config.domains[${i}]`;
    if (seen.has(d.key)) throw new ConfigError(`${path}.key`, `duplicate domain key ${d.key}`);
    seen.add(d.key);
    return domain(d, path, baseDir);
  });
}

/**
 * Validates a parsed config document. `baseDir` anchors relative paths (the config file's
 * directory). Throws {@link ConfigError} naming the first wrong setting.
 */
export function validateConfig(input: unknown, baseDir: string): ServiceConfig {
  const c = validated(checkConfig, input, 'config');
  const tls =
    c.tls === undefined
      ? undefined
      : { certFile: inDir(baseDir, c.tls.certFile), keyFile: inDir(baseDir, c.tls.keyFile) };
  if (c.auth.mtls !== undefined && tls === undefined)
    throw new ConfigError('config.auth.mtls', 'needs config.tls (mutual TLS is TLS)');
  return deepFreeze({
    publicBaseUrl: c.publicBaseUrl.replace(/\/+$/, ''),
    listen: c.listen,
    storage: storage(c.storage, baseDir),
    masterKey: masterKey(c.masterKey, baseDir),
    keyStore: validateKeyStoreConfig(c.keyStore, 'config.keyStore', baseDir),
    multiplier: c.multiplier,
    tls,
    auth: auth(c.auth, baseDir),
    limits: limits(c.limits),
    logLevel: c.logLevel,
    domains: domains(c.domains, baseDir),
    cors: { allowedOrigins: [...new Set(c.cors.allowedOrigins)] },
    ownerJwksRefresh: c.ownerJwksRefresh,
  });
}

/** The audience of a domain: `<publicBaseUrl>/pseudo/v1/domains/<key>`. */
export function domainAudience(publicBaseUrl: string, domainKey: string): string {
  return `${publicBaseUrl}/pseudo/v1/domains/${domainKey}`;
}
