/**
 * Authentication: turns a request's credentials into a {@link Principal}, or refuses it with a
 * 401 problem (`noAccessToken`, `invalidAccessToken`, `expiredAccessToken`).
 *
 * In order: a client certificate (mutual TLS, verified by the TLS layer against the configured
 * CA; the principal is its subject CN or whole subject, its groups the subject's OUs), then an
 * `Authorization: Bearer` token (in development mode a static token, else an OAuth2 JWT verified
 * with `jose` against the issuer's JWKS: signature with an allowed algorithm, issuer, audience,
 * exp required), then, only in development mode when configured, the unauthenticated principal.
 * Revocations (of principals and of certificates) are read from storage on every request.
 *
 * Not protected against: a stolen but unrevoked credential; token replay within its lifetime.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { type JWTPayload, type JWTVerifyGetKey, createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { AuthConfig } from './config.js';
import { ConfigError, ServiceError } from './errors.js';
import { MAX_PRINCIPAL_ID_LENGTH, type Principal } from './principals.js';
import type { Storage } from './storage/storage.js';

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const MAX_TOKEN_LENGTH = 16 * 1024;

type Refusal = 'ERR_SERVER_NO_ACCESS_TOKEN' | 'ERR_SERVER_INVALID_ACCESS_TOKEN' | 'ERR_SERVER_EXPIRED_ACCESS_TOKEN';

function refuse(code: Refusal, detail: string): never {
  throw new ServiceError(code, detail, { headers: { 'www-authenticate': 'Bearer' } });
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Normalises `AB:CD:…` to `abcd…` (SHA-256 fingerprints as the admin API takes them). */
export function normaliseFingerprint(fingerprint: string): string {
  return fingerprint.replace(/:/g, '').toLowerCase();
}

function validName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_PRINCIPAL_ID_LENGTH;
}

/** A compact fingerprint of a file's version: it changes whenever the file is replaced or written. */
async function versionOf(file: string): Promise<string> {
  const s = await stat(file, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/**
 * The token issuer's keys from a JWKS file, read again whenever the file changes (checked at each
 * verification: one stat) and on an admin refresh, so that a key removed from the file is refused
 * at once. A file that cannot be read or parsed leaves the last good keys in use.
 */
class IssuerKeyFile {
  readonly #file: string;
  #version = '';
  #keys: JWTVerifyGetKey = () => Promise.reject(new errors.JWKSNoMatchingKey());
  #kids: readonly string[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  get kids(): readonly string[] {
    return this.#kids;
  }

  /** Reads the file if it changed; throws a {@link ConfigError} when it cannot be used. */
  async refresh(): Promise<void> {
    const path = 'config.auth.jwt.jwksFile';
    let version: string;
    let jwks: { keys?: { kid?: unknown }[] };
    try {
      version = await versionOf(this.#file);
      if (version === this.#version) return;
      jwks = JSON.parse(await readFile(this.#file, 'utf8')) as typeof jwks;
    } catch (err) {
      throw new ConfigError(path, `cannot read a JSON key set from ${this.#file} (${(err as Error).message})`);
    }
    try {
      this.#keys = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
    } catch {
      throw new ConfigError(path, `${this.#file} is not a JSON Web Key Set`);
    }
    this.#kids = (jwks.keys ?? []).flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : []));
    this.#version = version;
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    await this.refresh().catch(() => undefined);
    return this.#keys(header, token);
  };
}

/** The token issuer's keys: fetched from its JWKS URL (jose caches them), or read from a file. */
type IssuerKeys =
  { source: 'url'; set: ReturnType<typeof createRemoteJWKSet> } | { source: 'file'; file: IssuerKeyFile };

async function issuerKeys(config: NonNullable<AuthConfig['jwt']>): Promise<IssuerKeys> {
  if (config.jwksUrl !== undefined) return { source: 'url', set: createRemoteJWKSet(new URL(config.jwksUrl)) };
  const file = new IssuerKeyFile(config.jwksFile as string);
  await file.refresh();
  return { source: 'file', file };
}

export class Authenticator {
  readonly #config: AuthConfig;
  readonly #storage: Storage;
  readonly #now: () => number;
  readonly #keys: IssuerKeys | undefined;

  private constructor(config: AuthConfig, storage: Storage, now: () => number, keys: IssuerKeys | undefined) {
    this.#config = config;
    this.#storage = storage;
    this.#now = now;
    this.#keys = keys;
  }

  static async create(config: AuthConfig, storage: Storage, now: () => number): Promise<Authenticator> {
    const keys = config.jwt === undefined ? undefined : await issuerKeys(config.jwt);
    return new Authenticator(config, storage, now, keys);
  }

  /**
   * Reads the token issuer's keys again now (its JWKS file, or its JWKS URL) and answers the kids
   * in use; throws a {@link ConfigError} when the file cannot be used (the last good keys stay).
   */
  async refreshIssuerKeys(): Promise<{ source: 'url' | 'file' | 'none'; kids: readonly string[] }> {
    const keys = this.#keys;
    if (keys === undefined) return { source: 'none', kids: [] };
    if (keys.source === 'file') {
      await keys.file.refresh();
      return { source: 'file', kids: keys.file.kids };
    }
    try {
      await keys.set.reload();
    } catch {
      throw new ServiceError('ERR_SERVER_UNAVAILABLE', "the token issuer's keys are not available");
    }
    return { source: 'url', kids: (keys.set.jwks()?.keys ?? []).flatMap((k) => (k.kid === undefined ? [] : [k.kid])) };
  }

  /** Warnings to log at every start (development settings, no way to authenticate). */
  get warnings(): string[] {
    const c = this.#config;
    const warnings: string[] = [];
    if (c.mode === 'development') {
      warnings.push(
        'DEVELOPMENT MODE (config.auth.mode "development"): never use it in production or with real identifiers',
      );
      if (c.staticTokens.length > 0)
        warnings.push(
          `development static tokens are accepted for ${c.staticTokens.map((t) => t.principal).join(', ')}`,
        );
      if (c.unauthenticatedPrincipal !== undefined)
        warnings.push(
          `requests WITHOUT credentials act as ${c.unauthenticatedPrincipal.principal} (config.auth.development.unauthenticatedPrincipal)`,
        );
    }
    if (
      c.jwt === undefined &&
      c.mtls === undefined &&
      c.staticTokens.length === 0 &&
      c.unauthenticatedPrincipal === undefined
    )
      warnings.push('no authentication is configured (config.auth.jwt or config.auth.mtls): every API call is refused');
    return warnings;
  }

  /** The request's principal; throws a 401 {@link ServiceError}. */
  async authenticate(request: FastifyRequest): Promise<Principal> {
    const principal =
      (await this.#fromCertificate(request)) ?? (await this.#fromHeader(request)) ?? this.#unauthenticated();
    const stored = await this.#storage.getPrincipal(principal.id);
    if (stored?.revokedAt !== undefined) refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', 'the principal is revoked');
    if (stored === undefined || stored.groups.length === 0) return principal;
    return Object.freeze({
      ...principal,
      groups: Object.freeze([...new Set([...principal.groups, ...stored.groups])]),
    });
  }

  async #fromCertificate(request: FastifyRequest): Promise<Principal | undefined> {
    const mtls = this.#config.mtls;
    const socket = request.raw.socket as Partial<TLSSocket>;
    if (mtls === undefined || typeof socket.getPeerCertificate !== 'function') return undefined;
    const cert = socket.getPeerCertificate();
    if (cert === null || typeof cert !== 'object' || cert.raw === undefined) return undefined;
    if (socket.authorized !== true)
      refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', 'the client certificate is not issued by a trusted CA');
    const subject = cert.subject ?? {};
    const cn = Array.isArray(subject.CN) ? subject.CN[0] : subject.CN;
    const id =
      mtls.principalFrom === 'commonName'
        ? cn
        : Object.entries(subject)
            .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
            .join(', ');
    if (!validName(id)) refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', 'the client certificate names no principal');
    const ou = subject.OU === undefined ? [] : Array.isArray(subject.OU) ? subject.OU : [subject.OU];
    const fingerprint = normaliseFingerprint(cert.fingerprint256);
    if (await this.#storage.isCertificateRevoked(fingerprint))
      refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', 'the client certificate is revoked');
    return Object.freeze({
      id,
      groups: Object.freeze(ou.filter(validName)),
      method: 'mtls',
      certificateFingerprint: fingerprint,
    });
  }

  async #fromHeader(request: FastifyRequest): Promise<Principal | undefined> {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const match = header.length <= MAX_TOKEN_LENGTH ? BEARER.exec(header) : null;
    if (match === null) refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', 'the Authorization header must be "Bearer <token>"');
    const token = match[1] as string;
    for (const t of this.#config.staticTokens) {
      if (sameToken(t.token, token))
        return Object.freeze({ id: t.principal, groups: t.groups, method: 'static-token' });
    }
    if (this.#keys === undefined || this.#config.jwt === undefined)
      refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', 'the access token is not valid');
    return this.#fromJwt(
      token,
      this.#keys.source === 'url' ? this.#keys.set : this.#keys.file.getKey,
      this.#config.jwt,
    );
  }

  async #fromJwt(token: string, keys: JWTVerifyGetKey, jwt: NonNullable<AuthConfig['jwt']>): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: [...jwt.algorithms],
        clockTolerance: jwt.clockToleranceSeconds,
        currentDate: new Date(this.#now()),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) refuse('ERR_SERVER_EXPIRED_ACCESS_TOKEN', 'the access token has expired');
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError))
        throw new ServiceError('ERR_SERVER_UNAVAILABLE', "the token issuer's keys are not available");
      refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', 'the access token is not valid');
    }
    const id = payload[jwt.principalClaim];
    if (!validName(id))
      refuse('ERR_SERVER_INVALID_ACCESS_TOKEN', `the access token has no ${jwt.principalClaim} claim`);
    const raw = payload[jwt.groupsClaim];
    const groups = raw === undefined ? [] : typeof raw === 'string' ? raw.split(' ') : raw;
    if (!Array.isArray(groups) || !groups.every(validName))
      refuse(
        'ERR_SERVER_INVALID_ACCESS_TOKEN',
        `the access token's ${jwt.groupsClaim} claim must be a string or an array of strings`,
      );
    return Object.freeze({ id, groups: Object.freeze([...(groups as string[])]), method: 'jwt' });
  }

  #unauthenticated(): Principal {
    const u = this.#config.unauthenticatedPrincipal;
    if (u === undefined)
      refuse(
        'ERR_SERVER_NO_ACCESS_TOKEN',
        'an access token (Authorization: Bearer) or a client certificate is required',
      );
    return Object.freeze({ id: u.principal, groups: u.groups, method: 'unauthenticated-development' });
  }
}
