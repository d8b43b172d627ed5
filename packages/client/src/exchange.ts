/**
 * One HTTP exchange as the transport needs it: send a request, read the whole answer as text,
 * within a time limit and the caller's AbortSignal. Two implementations: over `fetch` (browsers,
 * and any `fetch` the caller passes, such as one with a client certificate) and, in Node, HTTP/1.1
 * on kept-alive sockets (node-exchange.ts), which costs a fraction of `fetch`'s CPU per request.
 */

/** The `fetch` the transport calls (the platform's, one with a client certificate, …). */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface ExchangeRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text, sent as UTF-8. */
  readonly body: string | undefined;
}

/** What the transport reads of an answer. */
export interface ExchangeResponse {
  readonly status: number;
  readonly statusText: string;
  /** The `Retry-After` header, or null. */
  readonly retryAfter: string | null;
  /** The body as UTF-8 text (a byte order mark removed, invalid bytes replaced, as `fetch` reads it). */
  readonly text: string;
}

/**
 * Sends one request and reads its answer. Rejects with {@link ExchangeTimeout} when `timeoutMs`
 * passes first, with the signal's reason when the caller aborts, and with any other error when
 * the service cannot be reached or the answer cannot be read.
 */
export type Exchange = (
  request: ExchangeRequest,
  signal: AbortSignal | undefined,
  timeoutMs: number,
) => Promise<ExchangeResponse>;

/** The attempt's time ran out; `cause` is what the exchange saw, if anything. */
export class ExchangeTimeout extends Error {
  constructor(timeoutMs: number, options?: { cause: unknown }) {
    super(`no answer within ${timeoutMs} ms`, options);
    this.name = 'ExchangeTimeout';
  }
}

/** The exchange over a `fetch` function: its per-attempt time limit is an `AbortSignal.timeout`. */
export function fetchExchange(fetch: FetchFunction): Exchange {
  return async (request, signal, timeoutMs) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      const text = await response.text();
      return {
        status: response.status,
        statusText: response.statusText,
        retryAfter: response.headers.get('retry-after'),
        text,
      };
    } catch (err) {
      if (timeout.aborted && !signal?.aborted) throw new ExchangeTimeout(timeoutMs, { cause: err });
      throw err;
    }
  };
}
