/**
 * The configuration file's JSON Schema: every setting, its type, range and default. config.ts
 * validates a file against it (compiled once) and then resolves what a schema cannot say (paths
 * against the file's directory, settings that exclude each other). `message` tells, in the
 * service's words, what a setting must be; errors without one are worded from the schema.
 *
 * The types derive from the schema and describe a document once validated: a setting with a
 * default ({@link filled}) is always present then.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

export const ACCESS_RULE_OPERATIONS = [
  'pseudonymize',
  'identify',
  'convertFrom',
  'convertTo',
  'readSecretKeys',
] as const;
export const QUOTA_OPERATIONS = ['pseudonymize', 'identify', 'convert'] as const;
export const MULTIPLIER_NAMES = ['auto', 'native', 'node', 'noble'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export const DEFAULT_PORT = 8080;
export const DEFAULT_PUBLIC_BASE_URL = `http://localhost:${DEFAULT_PORT}`;
export const MASTER_KEY_ENV = 'BLINDPSEUDO_MASTER_KEY';
/** Static tokens must be long enough not to be guessed, even in development. */
export const MIN_STATIC_TOKEN_LENGTH = 24;

const text = (options: object = {}) => Type.String({ minLength: 1, ...options });
const file = text;
const integer = (minimum: number, maximum: number, options: object = {}) =>
  Type.Integer({ minimum, maximum, ...options });
const names = (options: object = {}) => Type.Array(text(), options);
const choice = <T extends readonly string[]>(values: T, options: object = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options });
/** An object whose settings are all known: anything else is an error naming it. */
const settings = <P extends Record<string, TSchema>>(properties: P, options: object = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });
const optional = Type.Optional;
/**
 * A setting with a default: optional in the file, filled in by validation, so present in the
 * validated document's type.
 */
const filled = <T extends TSchema>(schema: T): T => Type.Optional(schema) as unknown as T;

const httpUrl = (options: object = {}) => text({ format: 'http-url', ...options });

export const ACCESS_SUBJECT_PATTERN = /^(\*|(principal|group):[^\s]{1,200})$/;
export const DOMAIN_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const subjects = () =>
  filled(
    Type.Array(
      text({ pattern: ACCESS_SUBJECT_PATTERN.source, message: 'must be "principal:<id>", "group:<name>" or "*"' }),
      {
        default: [],
        message: 'must be an array of "principal:<id>", "group:<name>" or "*"',
      },
    ),
  );
const accessRule = settings(
  Object.fromEntries(ACCESS_RULE_OPERATIONS.map((op) => [op, subjects()])) as Record<
    (typeof ACCESS_RULE_OPERATIONS)[number],
    ReturnType<typeof subjects>
  >,
  { default: {} },
);

export const ownerSchema = settings({
  jku: httpUrl(),
  jwksFile: optional(file()),
  jwks: optional(Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) })),
});

export const domainSchema = settings({
  key: text({
    pattern: DOMAIN_KEY_PATTERN.source,
    message: 'must be 1 to 64 letters, digits, _ . - (starting with a letter or digit)',
  }),
  description: optional(text()),
  bufferSize: filled(integer(1, 32, { default: 8 })),
  timeToLiveInTransit: filled(text({ format: 'iso-duration', default: 'PT10M' })),
  owners: filled(Type.Array(ownerSchema, { default: [] })),
  accessRule: filled(accessRule),
  transitPolicy: filled(
    settings(
      { bindSubject: filled(Type.Boolean({ default: false })), singleUse: filled(Type.Boolean({ default: false })) },
      { default: {} },
    ),
  ),
});
export type DomainDocument = Static<typeof domainSchema>;

const jwtSchema = settings({
  jwksUrl: optional(httpUrl()),
  jwksFile: optional(file()),
  issuer: text(),
  audience: text(),
  algorithms: filled(
    Type.Array(choice(JWT_ALGORITHMS), {
      minItems: 1,
      default: ['RS256', 'ES256'],
      message: `must be a non-empty list of ${JWT_ALGORITHMS.join(', ')}`,
    }),
  ),
  principalClaim: filled(text({ default: 'sub' })),
  groupsClaim: filled(text({ default: 'groups' })),
  clockToleranceSeconds: filled(integer(0, 300, { default: 30 })),
});

const groups = () => filled(names({ default: [] }));

const developmentSchema = settings({
  staticTokens: filled(
    Type.Array(
      settings({
        token: text({
          pattern: `^\\S{${MIN_STATIC_TOKEN_LENGTH},}$`,
          message: `must be at least ${MIN_STATIC_TOKEN_LENGTH} characters without spaces`,
        }),
        principal: text(),
        groups: groups(),
      }),
      { default: [] },
    ),
  ),
  unauthenticatedPrincipal: optional(settings({ principal: text(), groups: groups() })),
});

const authSchema = settings(
  {
    mode: filled(choice(['required', 'development'] as const, { default: 'required' })),
    jwt: optional(jwtSchema),
    mtls: optional(
      settings({
        caFile: file(),
        principalFrom: filled(choice(['commonName', 'subject'] as const, { default: 'commonName' })),
      }),
    ),
    development: optional(developmentSchema),
    adminGroups: filled(names({ default: ['blindpseudo-admin'] })),
  },
  { default: {} },
);

const postgresSchema = settings({
  url: text({ pattern: '^postgres(ql)?://', message: 'must be a postgres:// URL' }),
  poolSize: filled(integer(1, 1000, { default: 10 })),
  statementTimeoutMs: filled(integer(100, 600_000, { default: 5000 })),
  connectTimeoutMs: filled(integer(100, 600_000, { default: 2000 })),
  tls: optional(
    settings({
      caFile: optional(file()),
      certFile: optional(file()),
      keyFile: optional(file()),
      rejectUnauthorized: filled(Type.Boolean({ default: true })),
    }),
  ),
});

const dailyQuota = () => optional(integer(1, 1_000_000_000));
const limitsSchema = settings(
  {
    bodyLimitBytes: filled(integer(1024, 10 * 1024 * 1024, { default: 64 * 1024 })),
    requestTimeoutMs: filled(integer(100, 600_000, { default: 30_000 })),
    rate: optional(settings({ requestsPerSecond: integer(1, 1_000_000), burst: optional(integer(1, 10_000_000)) })),
    dailyQuota: filled(
      settings(
        Object.fromEntries(QUOTA_OPERATIONS.map((op) => [op, dailyQuota()])) as Record<
          (typeof QUOTA_OPERATIONS)[number],
          ReturnType<typeof dailyQuota>
        >,
        { default: {} },
      ),
    ),
    enumerationAlarmItemsPerDay: optional(integer(1, 1_000_000_000)),
  },
  { default: {} },
);

/** `keyStore`: software (default) or a PKCS#11 token (keystore/key-store-config.ts resolves it). */
const keyStoreSchema = settings({
  kind: optional(choice(['software', 'pkcs11'] as const)),
  module: optional(file({ message: 'must be an absolute path to the PKCS#11 library' })),
  tokenLabel: optional(text({ maxLength: 32 })),
  pin: optional(
    settings(
      { file: optional(file()), env: optional(text()) },
      { message: 'must be { "file": … } or { "env": … } (never the PIN itself)' },
    ),
  ),
  sessions: optional(integer(1, 64)),
  masterKeyLabel: optional(text({ maxLength: 32 })),
});

export const configSchema = settings({
  publicBaseUrl: filled(httpUrl({ default: DEFAULT_PUBLIC_BASE_URL })),
  listen: filled(
    settings(
      { host: filled(text({ default: '0.0.0.0' })), port: filled(integer(0, 65535, { default: DEFAULT_PORT })) },
      { default: {} },
    ),
  ),
  storage: filled(
    settings(
      {
        kind: optional(choice(['sqlite', 'postgres'] as const)),
        file: filled(file({ default: 'blindpseudo.db' })),
        postgres: optional(postgresSchema),
      },
      { default: {} },
    ),
  ),
  masterKey: optional(settings({ file: optional(file()), env: optional(text()) })),
  keyStore: optional(keyStoreSchema),
  multiplier: filled(choice(MULTIPLIER_NAMES, { default: 'auto' })),
  limits: filled(limitsSchema),
  logLevel: filled(choice(LOG_LEVELS, { default: 'info' })),
  domains: filled(Type.Array(domainSchema, { default: [] })),
  tls: optional(settings({ certFile: file(), keyFile: file() })),
  auth: filled(authSchema),
  cors: filled(
    settings({ allowedOrigins: filled(Type.Array(text({ format: 'origin' }), { default: [] })) }, { default: {} }),
  ),
  ownerJwksRefresh: filled(
    settings(
      {
        intervalSeconds: filled(integer(60, 7 * 86400, { default: 3600 })),
        timeoutMs: filled(integer(100, 60_000, { default: 5000 })),
      },
      { default: {} },
    ),
  ),
});
/** A configuration document once validated, its defaults filled in. */
export type ConfigDocument = Static<typeof configSchema>;
