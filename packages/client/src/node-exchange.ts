/**
 * The exchange over `node:http` / `node:https` with keep-alive connections, the default in Node:
 * Node's `fetch` (undici, web streams) costs several P-521 multiplications of CPU per request,
 * more than the protocol's own cryptography; this costs a fraction of that.
 *
 * The modules come from `process.getBuiltinModule` at run time, so this file imports nothing from
 * Node: browser bundles carry no `node:` import and the package compiles without Node types (the
 * few shapes used are declared below). Where `fetch` does more than send and read — a redirect
 * to follow, a compressed body (neither is asked for: no `Accept-Encoding` is sent) — the attempt
 * is handed to the platform `fetch`, which does it as before (the protocol's calls have no side
 * effects, so sending one again is safe). TLS is Node's default: the system's and Node's trusted
 * CAs; a client certificate or another CA goes through the `fetch` option.
 */
import {
  type Exchange,
  type ExchangeRequest,
  type ExchangeResponse,
  ExchangeTimeout,
  fetchExchange,
} from './exchange.js';

interface NodeIncomingMessage {
  readonly statusCode?: number;
  readonly statusMessage?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  resume(): this;
}

interface NodeClientRequest {
  /** True when the request went out on a kept-alive connection used before. */
  readonly reusedSocket: boolean;
  on(event: 'error', listener: (err: Error) => void): this;
  end(body?: Uint8Array): this;
  destroy(err?: Error): this;
}

interface NodeHttpModule {
  Agent: new (options: { keepAlive: boolean; scheduling: 'lifo' | 'fifo' }) => object;
  request(
    url: URL,
    options: { method: string; headers: Record<string, string>; agent: object },
    onResponse: (response: NodeIncomingMessage) => void,
  ): NodeClientRequest;
}

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

/** Statuses `fetch` follows (with a `Location`). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Errors of a kept-alive connection that the service closed just as it was reused. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE']);

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // UTF-8, replacing invalid bytes and dropping a BOM, as fetch's text()

interface Stack {
  readonly http: NodeHttpModule;
  readonly https: NodeHttpModule;
  readonly httpAgent: object;
  readonly httpsAgent: object;
  readonly viaFetch: Exchange;
}

let stack: Stack | undefined;

function header(response: NodeIncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Why an attempt ended without a response: timed out, aborted, or another error. */
type Ending = { readonly kind: 'timeout' | 'abort' | 'error'; readonly cause: unknown };

/** One request on one connection; a stale kept-alive connection is told apart (`stale`). */
function sendOnce(
  s: Stack,
  request: ExchangeRequest,
  signal: AbortSignal | undefined,
  deadline: number,
): Promise<{ response: ExchangeResponse | 'delegate' } | { ending: Ending; stale: boolean }> {
  return new Promise((resolve) => {
    const url = new URL(request.url);
    const https = url.protocol === 'https:';
    const body = request.body === undefined ? undefined : encoder.encode(request.body);
    const headers = { ...request.headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) };
    let answered = false;
    let settled = false;
    const finish = (outcome: Parameters<typeof resolve>[0]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const end = (kind: Ending['kind'], cause: unknown): void => {
      const code = (cause as { code?: unknown } | null)?.code;
      const stale = kind === 'error' && !answered && req.reusedSocket && STALE_CONNECTION.has(code as string);
      finish({ ending: { kind, cause }, stale });
      req.destroy();
    };
    const onAbort = (): void => end('abort', signal?.reason);
    // May throw (a header the caller gave that HTTP does not allow): the promise then rejects.
    const req = (https ? s.https : s.http).request(
      url,
      { method: request.method, headers, agent: https ? s.httpsAgent : s.httpAgent },
      (response) => {
        answered = true;
        const status = response.statusCode ?? 0;
        const encoding = header(response, 'content-encoding');
        const redirect = REDIRECTS.has(status) && header(response, 'location') !== undefined;
        if (redirect || (encoding !== undefined && encoding !== 'identity')) {
          response.resume();
          finish({ response: 'delegate' });
          return;
        }
        const chunks: Uint8Array[] = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', (err) => end('error', err));
        response.on('end', () =>
          finish({
            response: {
              status,
              statusText: response.statusMessage ?? '',
              retryAfter: header(response, 'retry-after') ?? null,
              text: decoder.decode(concat(chunks)),
            },
          }),
        );
      },
    );
    req.on('error', (err) => end('error', err));
    const timer = setTimeout(() => end('timeout', undefined), Math.max(0, deadline - Date.now()));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}

/** The exchange over node:http(s); undefined outside Node (no `process.getBuiltinModule`). */
export function nodeExchange(): Exchange | undefined {
  if (stack === undefined) {
    const load = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule;
    if (typeof load !== 'function') return undefined;
    const http = load('node:http') as NodeHttpModule | undefined;
    const https = load('node:https') as NodeHttpModule | undefined;
    if (http === undefined || https === undefined) return undefined;
    // lifo: the connections kept are the busy ones; the others idle out at the service.
    const agentOptions = { keepAlive: true, scheduling: 'lifo' } as const;
    stack = {
      http,
      https,
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
      viaFetch: fetchExchange((input, init) => globalThis.fetch(input, init)),
    };
  }
  const s = stack;
  return async (request, signal, timeoutMs) => {
    if (signal?.aborted) throw signal.reason;
    const deadline = Date.now() + timeoutMs;
    let sent = await sendOnce(s, request, signal, deadline);
    // A kept-alive connection closed by the service as it was reused: once more on a new one.
    if ('ending' in sent && sent.stale) sent = await sendOnce(s, request, signal, deadline);
    if ('response' in sent) {
      if (sent.response !== 'delegate') return sent.response;
      return s.viaFetch(request, signal, Math.max(1, deadline - Date.now()));
    }
    const { kind, cause } = sent.ending;
    if (kind === 'timeout') throw new ExchangeTimeout(timeoutMs);
    throw cause;
  };
}
