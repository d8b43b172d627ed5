/**
 * @blindpseudo/server — the blind pseudonymisation service (eHealth Pseudonymisation REST v1).
 * `buildApp` makes the Fastify app from a validated config; `startServer` listens. What operators'
 * tools need besides (the config, the keystore, administration, the audit log, storage) is named
 * here one by one; everything else is the service's own.
 */
export { buildApp, type BuildAppOptions } from './app.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export {
  DEFAULT_PORT,
  DEFAULT_PUBLIC_BASE_URL,
  MASTER_KEY_ENV,
  validateConfig,
  validateDomainConfig,
  type AccessRule,
  type AccessRuleOperation,
  type AuthConfig,
  type CorsConfig,
  type DomainConfig,
  type Jwks,
  type JwtAuthConfig,
  type MasterKeySource,
  type MtlsAuthConfig,
  type MultiplierName,
  type OwnerConfig,
  type OwnerJwksRefreshConfig,
  type PostgresConfig,
  type QuotaOperation,
  type RateLimitConfig,
  type ServiceConfig,
  type StaticToken,
  type StorageConfig,
  type TransitPolicy,
} from './config.js';
export { loadConfigFile } from './config-file.js';
export {
  AdministrationError,
  ConfigError,
  DomainConflictError,
  MasterKeyError,
  OwnerJwksError,
  SERVICE_ERROR_CODES,
  ServiceError,
  UnknownDomainError,
  type ServiceErrorCode,
} from './errors.js';
export { openKeystore, type Keystore, type OpenKeystoreOptions } from './keystore.js';
export { DomainRegistry, type Domain, type DomainDocument } from './domains.js';
export { domainSummary, type DomainSummary } from './domain-summary.js';
export { generateMasterKeyText } from './master-key.js';
export { nodeAesGcm } from './node-aes-gcm.js';
export {
  PKCS11_PIN_ENV,
  validateKeyStoreConfig,
  type KeyStoreConfig,
  type Pkcs11KeyStoreConfig,
  type PinSource,
} from './keystore/key-store-config.js';
export { KeyStoreUnavailableError, KEY_STORE_UNAVAILABLE } from './keystore/key-store-errors.js';
export { migrateToHsm, type MigrationSummary } from './keystore/migrate-to-hsm.js';
export { Pkcs11Token } from './keystore/pkcs11-token.js';
export { readProtection, type ObjectProtection } from './keystore/pkcs11-objects.js';
export { ProblemKinds, type Problem, type ProblemKind } from './problems.js';
export { Administration, type AdministrationOptions, type GrantInput } from './administration.js';
export {
  readAuditLog,
  verifyAuditLog,
  type AuditChainVerification,
  type AuditVerification,
  type ExportedAuditRecord,
} from './audit.js';
export type { Principal, AuthenticationMethod } from './principals.js';
export { SqliteStorage } from './storage/sqlite.js';
export { PostgresStorage } from './storage/postgres.js';
export { openStorage } from './storage/open.js';
export { startCluster, type ClusterOptions, type RunningCluster } from './cluster.js';
export { applyServeOverrides, type ServeOverrides } from './serve-options.js';
export type {
  Storage,
  StoredPrincipal,
  AccessGrant,
  AuditRecord,
  StoredAuditRecord,
  AuditHead,
} from './storage/storage.js';
