/**
 * HTTP to the service: JSON in and out over an {@link Exchange} (sockets in Node, `fetch`
 * elsewhere or when the caller gives one), with authentication, per-attempt timeouts, the
 * caller's AbortSignal, failover across base URLs and retries with jittered exponential backoff
 * on network errors, timeouts, 5xx and 429 (whose `Retry-After` is honoured, per base URL).
 *
 * A base URL that fails is moved to the back of the order for a cool-down, so later calls go
 * straight to one that works. Requests are retried as they are: the protocol's operations have no
 * side effects beyond the service's audit trail. Bodies are never logged or put in messages.
 */
import { ClientError, ClientErrorCodes, invalidResponse, problemError, readProblem } from './errors.js';
import { type Exchange, type ExchangeResponse, ExchangeTimeout } from './exchange.js';

export type { FetchFunction } from './exchange.js';

/** Gives the bearer token; called with `refresh: true` once after a 401, to get a new one. */
export type TokenProvider = (context: { readonly refresh: boolean }) => string | Promise<string>;

export interface TransportOptions {
  readonly baseUrls: readonly string[];
  readonly exchange: Exchange;
  readonly token: TokenProvider | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly failoverCooldownMs: number;
  readonly signal: AbortSignal | undefined;
}

interface BaseUrlState {
  readonly url: string;
  /** Until then the base URL goes to the back of the order (it failed). */
  downUntil: number;
  /** Until then the base URL gets no request (it asked to wait with Retry-After). */
  notBefore: number;
}

type Outcome =
  | { readonly ok: true; readonly body: unknown }
  | {
      readonly ok: false;
      readonly error: ClientError;
      readonly retryable: boolean;
      readonly unhealthy: boolean;
      readonly retryAfterMs?: number;
      readonly unauthorized?: boolean;
    };

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function aborted(signal: AbortSignal): ClientError {
  return new ClientError(ClientErrorCodes.ABORTED, 'the call was aborted', { cause: signal.reason });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function combine(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}

export class Transport {
  readonly #options: TransportOptions;
  readonly #bases: BaseUrlState[];

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#bases = options.baseUrls.map((url) => ({ url, downUntil: 0, notBefore: 0 }));
  }

  /** Healthy base URLs in their configured order, then the ones cooling down, soonest back first. */
  #order(now: number): BaseUrlState[] {
    const healthy = this.#bases.filter((b) => b.downUntil <= now);
    const cooling = this.#bases.filter((b) => b.downUntil > now).sort((a, b) => a.downUntil - b.downUntil);
    return [...healthy, ...cooling];
  }

  #backoff(round: number): number {
    const { retryBaseDelayMs, retryMaxDelayMs } = this.#options;
    const ceiling = Math.min(retryMaxDelayMs, retryBaseDelayMs * 2 ** round);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** Sends one request (with failover and retries) and returns the parsed JSON body of a 2xx. */
  async request(method: 'GET' | 'POST', path: string, body: unknown, callSignal?: AbortSignal): Promise<unknown> {
    const signal = combine(this.#options.signal, callSignal);
    let lastError: ClientError | undefined;
    for (let round = 0; ; round++) {
      for (const base of this.#order(Date.now())) {
        if (signal?.aborted) throw aborted(signal);
        if (base.notBefore > Date.now()) continue;
        let outcome = await this.#attempt(base.url + path, method, body, signal, false);
        if (!outcome.ok && outcome.unauthorized && this.#options.token !== undefined) {
          outcome = await this.#attempt(base.url + path, method, body, signal, true);
        }
        if (outcome.ok) {
          base.downUntil = 0;
          return outcome.body;
        }
        if (!outcome.retryable) throw outcome.error;
        lastError = outcome.error;
        const now = Date.now();
        if (outcome.retryAfterMs !== undefined) base.notBefore = now + outcome.retryAfterMs;
        if (outcome.unhealthy) base.downUntil = now + this.#options.failoverCooldownMs;
      }
      if (round >= this.#options.retries) break;
      const now = Date.now();
      const waitForRetryAfter = Math.min(...this.#bases.map((b) => b.notBefore)) - now;
      // The service asks us to wait longer than we may: give its answer to the caller now.
      if (waitForRetryAfter > this.#options.retryMaxDelayMs) break;
      await sleep(Math.max(this.#backoff(round), waitForRetryAfter), signal);
    }
    throw lastError ?? new ClientError(ClientErrorCodes.NETWORK, 'the service is unavailable');
  }

  async #attempt(
    url: string,
    method: 'GET' | 'POST',
    body: unknown,
    signal: AbortSignal | undefined,
    refreshToken: boolean,
  ): Promise<Outcome> {
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...this.#options.headers,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#options.token !== undefined) {
      const token = await this.#options.token({ refresh: refreshToken });
      if (typeof token !== 'string' || token.length === 0)
        throw new TypeError('token provider must give a non-empty string');
      headers.authorization = `Bearer ${token}`;
    }
    let response: ExchangeResponse;
    try {
      const request = { url, method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
      response = await this.#options.exchange(request, signal, this.#options.timeoutMs);
    } catch (err) {
      if (signal?.aborted) throw aborted(signal);
      const error =
        err instanceof ExchangeTimeout
          ? new ClientError(ClientErrorCodes.TIMEOUT, `no answer within ${this.#options.timeoutMs} ms`, { cause: err })
          : new ClientError(ClientErrorCodes.NETWORK, 'the service could not be reached', { cause: err });
      return { ok: false, error, retryable: true, unhealthy: true };
    }
    const { status, text } = response;

    let parsed: unknown;
    let parseError: unknown;
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch (err) {
      parseError = err;
    }
    if (status >= 200 && status < 300) {
      if (parseError !== undefined || parsed === undefined) throw invalidResponse('the body is not JSON', parseError);
      return { ok: true, body: parsed };
    }
    const problem = readProblem(parsed, status) ?? {
      type: 'about:blank',
      title: response.statusText || `HTTP ${status}`,
      status,
      detail: '',
    };
    const error = problemError(problem, status);
    const retryAfterMs = parseRetryAfter(response.retryAfter, Date.now());
    return {
      ok: false,
      error,
      retryable: RETRYABLE_STATUS.has(status),
      unhealthy: status >= 500,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      unauthorized: status === 401 && !refreshToken,
    };
  }
}
