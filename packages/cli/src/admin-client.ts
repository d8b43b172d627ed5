/**
 * The admin API of a running service (`/admin/v1/...`, see the server's routes/admin.ts) over
 * HTTP(S), for the commands' remote mode: `--server URL` with an access token of the admin role
 * from `--token-file FILE` or the environment variable `BLINDPSEUDO_TOKEN` (never on the command
 * line, where other users and shell histories see it). Changes take effect in the service at once.
 *
 * A problem answered by the service becomes an {@link AdminApiError} whose message is the
 * problem's `detail` (exit code 1); the token never appears in a message.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext } from './context.js';
import { AdminApiError, UsageError } from './errors.js';
import { HTTP_URL_RULE, parseHttpUrl } from '@blindpseudo/core';
import type { DomainSummary } from '@blindpseudo/server';

export const TOKEN_ENV = 'BLINDPSEUDO_TOKEN';
const TIMEOUT_MS = 30_000;

/** Options every command with a remote mode takes. */
export const REMOTE_OPTIONS = {
  server: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

export const REMOTE_USAGE = `  With --server URL [--token-file FILE] they call the admin API of a running service instead
  (the access token from FILE or the environment variable ${TOKEN_ENV}; its principal needs the
  admin role): the change takes effect at once.`;

/** One owner after a refresh of its JWKS: the kids in use, and why reading it failed if it did. */
export interface RemoteOwnerKeys {
  readonly jku: string;
  readonly source: 'fetched' | 'file' | 'inline';
  readonly kids: readonly string[];
  readonly changed: boolean;
  readonly error?: string;
}

export interface RemoteGrant {
  readonly domain: string;
  readonly operation: string;
  readonly subject: string;
}

export interface RemotePrincipal {
  readonly id: string;
  readonly description: string;
  readonly groups: readonly string[];
  readonly createdAt: number;
  readonly revokedAt?: number;
}

function serverUrl(text: string): URL {
  const url = parseHttpUrl(text);
  if (url === undefined) throw new UsageError(`--server ${HTTP_URL_RULE}, e.g. https://pseudo.example.org`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw new UsageError('--server takes the service base URL only (no query, fragment or credentials)');
  return url;
}

async function readToken(ctx: CommandContext, file: string | undefined): Promise<string | undefined> {
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = (await readFile(resolve(ctx.cwd, file), 'utf8')).trim();
    } catch (err) {
      throw new AdminApiError(`cannot read the token file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (token.length === 0) throw new AdminApiError(`the token file ${file} is empty`);
  } else {
    token = ctx.env[TOKEN_ENV]?.trim();
  }
  if (token !== undefined && (token.length === 0 || /\s/.test(token)))
    throw new AdminApiError('the access token must be one word (a JWT or a static token)');
  return token === '' ? undefined : token;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class AdminClient {
  readonly #base: string;
  readonly #token: string | undefined;

  private constructor(base: URL, token: string | undefined) {
    this.#base = `${base.origin}${base.pathname.replace(/\/+$/, '')}/admin/v1`;
    this.#token = token;
  }

  /**
   * The client of the remote mode when `--server` is given, else undefined (the command works on
   * the database). `--token-file` without `--server`, or with `--dir`/`--config`, is wrong usage.
   */
  static async fromOptions(
    ctx: CommandContext,
    values: { server?: string; 'token-file'?: string; dir?: string; config?: string },
  ): Promise<AdminClient | undefined> {
    if (values.server === undefined) {
      if (values['token-file'] !== undefined) throw new UsageError('--token-file goes with --server');
      return undefined;
    }
    if (values.dir !== undefined || values.config !== undefined)
      throw new UsageError('--server calls a running service: --dir and --config do not apply');
    return new AdminClient(serverUrl(values.server), await readToken(ctx, values['token-file']));
  }

  /** Calls `/admin/v1/<path>` and returns the JSON answer; a problem becomes an AdminApiError. */
  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    const url = `${this.#base}/${path}`;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
      text = await response.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${TIMEOUT_MS / 1000} s`
          : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new AdminApiError(`cannot reach the service at ${this.#base} (${reason})`);
    }
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) throw this.#refused(response.status, json);
    if (!isObject(json))
      throw new AdminApiError(`the service answered ${method} ${url} with something other than JSON`);
    return json;
  }

  #refused(status: number, problem: unknown): AdminApiError {
    const detail =
      isObject(problem) && typeof problem.detail === 'string' && problem.detail.length > 0
        ? problem.detail
        : `HTTP ${status}`;
    const hint =
      status === 401
        ? this.#token === undefined
          ? ` (give an admin access token: --token-file FILE or ${TOKEN_ENV})`
          : ' (the access token was not accepted)'
        : status === 403
          ? ' (the access token is not of the admin role)'
          : '';
    return new AdminApiError(`the service refused: ${detail}${hint}`, status);
  }

  async listDomains(): Promise<DomainSummary[]> {
    return (await this.#call('GET', 'domains')).domains as DomainSummary[];
  }

  async showDomain(key: string): Promise<DomainSummary> {
    return (await this.#call('GET', `domains/${encodeURIComponent(key)}`)) as unknown as DomainSummary;
  }

  /** Creates a domain from its definition (as in the config file, owners' JWKS inline). */
  async createDomain(definition: Record<string, unknown>): Promise<DomainSummary> {
    return (await this.#call('POST', 'domains', definition)) as unknown as DomainSummary;
  }

  /** Makes a new transit key active in the running service; resolves to its kid. */
  async rotateTransitKey(key: string): Promise<string> {
    return (await this.#call('POST', `domains/${encodeURIComponent(key)}/rotateTransitKey`)).kid as string;
  }

  /** Has the running service read the domain's owners' JWKS again now. */
  async refreshOwnerKeys(key: string): Promise<RemoteOwnerKeys[]> {
    return (await this.#call('POST', `domains/${encodeURIComponent(key)}/owner-jwks/refresh`))
      .owners as RemoteOwnerKeys[];
  }

  async listGrants(domain?: string): Promise<RemoteGrant[]> {
    const query = domain === undefined ? '' : `?domain=${encodeURIComponent(domain)}`;
    return (await this.#call('GET', `accessGrants${query}`)).grants as RemoteGrant[];
  }

  async grant(input: RemoteGrant): Promise<boolean> {
    return (await this.#call('POST', 'accessGrants', input)).added === true;
  }

  async revokeGrant(input: RemoteGrant): Promise<boolean> {
    return (await this.#call('POST', 'accessGrants/revoke', input)).removed === true;
  }

  async listPrincipals(): Promise<RemotePrincipal[]> {
    return (await this.#call('GET', 'principals')).principals as RemotePrincipal[];
  }

  async savePrincipal(input: {
    id: string;
    description?: string;
    groups: readonly string[];
  }): Promise<RemotePrincipal> {
    return (await this.#call('POST', 'principals', input)) as unknown as RemotePrincipal;
  }

  async revokePrincipal(id: string): Promise<boolean> {
    return (await this.#call('POST', 'principals/revoke', { id })).revoked === true;
  }

  async reinstatePrincipal(id: string): Promise<boolean> {
    return (await this.#call('POST', 'principals/reinstate', { id })).reinstated === true;
  }

  async revokeCertificate(fingerprint: string): Promise<boolean> {
    return (await this.#call('POST', 'certificates/revoke', { fingerprint })).revoked === true;
  }
}
