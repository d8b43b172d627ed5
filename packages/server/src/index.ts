/**
 * @blindpseudo/server — the blind pseudonymisation service (eHealth Pseudonymisation REST v1).
 * `buildApp` makes the Fastify app from a validated config; `startServer` listens.
 */
export { buildApp, type BuildAppOptions } from './app.js';
export { selectMultiplier, type SelectedMultiplier } from './multipliers.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export * from './config.js';
export { loadConfigFile } from './config-file.js';
export { openKeystore, type Keystore, type OpenKeystoreOptions } from './keystore.js';
export {
  DomainRegistry,
  UnknownDomainError,
  DomainConflictError,
  type Domain,
  type DomainDocument,
} from './domains.js';
export { MasterKeyError, generateMasterKeyText, loadMasterKey } from './master-key.js';
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
export { OwnerJwksError, selectEncryptionKeys } from './owner-jwks.js';
export { nodeCryptoMultiplier, multiplyWithNodeCrypto } from './node-multiplier.js';
export { ProblemKinds, type Problem, type ProblemKind } from './problems.js';
export { SERVICE_JWKS_PATH } from './service-key.js';
export { Authenticator, normaliseFingerprint } from './authentication.js';
export { AccessControl } from './access-rules.js';
export { Administration, AdministrationError, type AdministrationOptions, type GrantInput } from './administration.js';
export {
  AuditLog,
  GENESIS_HASH,
  canonicalAuditRecord,
  chainHash,
  readAuditLog,
  verifyAuditLog,
  type AuditVerification,
} from './audit.js';
export { isAdmin, subjectMatches, type Principal, type AuthenticationMethod } from './principals.js';
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
