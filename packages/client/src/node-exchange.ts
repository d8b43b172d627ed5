/**
 * The exchange in Node: HTTP/1.1 (http1.ts) over `node:net` / `node:tls` sockets kept alive
 * between requests. Node's `fetch` (undici, web streams) costs several P-521 multiplications of
 * CPU per request, `node:http` (its request and stream machinery) about one; the bare socket a
 * third of that. One request at a time per connection; idle connections are kept 4 s (less if the
 * service's `Keep-Alive: timeout` says so) and never keep the process alive.
 *
 * The modules come from `process.getBuiltinModule` at run time, so this file imports nothing from
 * Node: browser bundles carry no `node:` import and the package compiles without Node types (the
 * few shapes used are declared below). Where `fetch` does more than send and read — a redirect
 * to follow, a compressed body (neither is asked for: no `Accept-Encoding` is sent) — the attempt
 * is handed to the platform `fetch`, which does it as before (the protocol's calls have no side
 * effects, so sending one again is safe). TLS is Node's default: the system's and Node's trusted
 * CAs, the host name checked; a client certificate or another CA goes through the `fetch` option.
 */
import {
  type Exchange,
  type ExchangeRequest,
  type ExchangeResponse,
  ExchangeTimeout,
  fetchExchange,
} from './exchange.js';
import { type WireResponse, ResponseReader, requestBytes } from './http1.js';

interface NodeSocket {
  write(data: Uint8Array): boolean;
  destroy(): void;
  ref(): void;
  unref(): void;
  setNoDelay(noDelay: boolean): void;
  on(event: 'data', listener: (chunk: Uint8Array) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'close', listener: () => void): void;
  removeListener(event: 'data' | 'error' | 'close', listener: (...args: never[]) => void): void;
}

interface NodeNet {
  connect(options: { host: string; port: number }): NodeSocket;
}

interface NodeTls {
  connect(options: { host: string; port: number; ALPNProtocols: string[] }): NodeSocket;
}

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

/** Statuses `fetch` follows (with a `Location`). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IDLE_MS = 4000;
const decoder = new TextDecoder(); // UTF-8, replacing invalid bytes and dropping a BOM, as fetch's text()
const encoder = new TextEncoder();

/** Why an attempt ended without a response: timed out, aborted, or another error. */
type Ending = { readonly kind: 'timeout' | 'abort' | 'error'; readonly cause: unknown };
type Sent = { response: WireResponse } | { ending: Ending; stale: boolean };

/** How long the service lets a connection idle (`Keep-Alive: timeout=n`), with a margin. */
function idleMs(response: WireResponse): number {
  const hint = /(?:^|,)\s*timeout=(\d+)/i.exec(response.headers.get('keep-alive') ?? '');
  return hint === null ? IDLE_MS : Math.min(IDLE_MS, Number(hint[1]) * 1000 - 1000);
}

/**
 * One connection: one request at a time, then idle in its pool until it idles out, closes or
 * says anything unasked. Its listeners are set once, for all its requests.
 */
class Connection {
  readonly origin: string;
  readonly #socket: NodeSocket;
  readonly #pool: Connections;
  #uses = 0;
  #dead = false;
  // While a request is out:
  #reader: ResponseReader | undefined;
  #reused = false;
  #settle: ((sent: Sent) => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #signal: AbortSignal | undefined;
  // While idle:
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = (): void => this.#fail('abort', this.#signal?.reason);
  readonly #onTimeout = (): void => this.#fail('timeout', undefined);
  readonly #onIdleTimeout = (): void => this.#destroy();

  constructor(origin: string, socket: NodeSocket, pool: Connections) {
    this.origin = origin;
    this.#socket = socket;
    this.#pool = pool;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.#data(chunk));
    socket.on('error', (err) => this.#fail('error', err));
    socket.on('close', () => this.#closed());
  }

  get dead(): boolean {
    return this.#dead;
  }

  send(bytes: Uint8Array, signal: AbortSignal | undefined, deadline: number): Promise<Sent> {
    clearTimeout(this.#idleTimer);
    this.#socket.ref();
    this.#reused = this.#uses++ > 0;
    this.#reader = new ResponseReader();
    return new Promise((resolve) => {
      this.#settle = resolve;
      this.#timer = setTimeout(this.#onTimeout, Math.max(0, deadline - Date.now()));
      this.#signal = signal;
      signal?.addEventListener('abort', this.#onAbort, { once: true });
      this.#socket.write(bytes);
    });
  }

  /** Waits in the pool for the next request. */
  idle(ms: number): void {
    this.#socket.unref();
    this.#idleTimer = setTimeout(this.#onIdleTimeout, ms);
  }

  #data(chunk: Uint8Array): void {
    const reader = this.#reader;
    if (reader === undefined) return this.#destroy(); // unasked-for bytes: out of step
    let response: WireResponse | undefined;
    try {
      response = reader.feed(chunk);
    } catch (err) {
      return this.#fail('error', err);
    }
    if (response !== undefined) this.#answered(response);
  }

  #closed(): void {
    const reader = this.#reader;
    this.#dead = true;
    this.#pool.forget(this);
    if (reader === undefined) return;
    let response: WireResponse;
    try {
      response = reader.end();
    } catch (err) {
      return this.#fail('error', err);
    }
    this.#answered(response);
  }

  #answered(response: WireResponse): void {
    this.#finish({ response });
    if (response.reusable) this.#pool.keep(this, idleMs(response));
    else this.#destroy();
  }

  #fail(kind: Ending['kind'], cause: unknown): void {
    const reader = this.#reader;
    if (reader !== undefined) {
      // Nothing came back on a connection used before: the service closed it as it was reused.
      this.#finish({ ending: { kind, cause }, stale: kind === 'error' && this.#reused && !reader.started });
    }
    this.#destroy();
  }

  #finish(sent: Sent): void {
    const settle = this.#settle!;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#reader = undefined;
    this.#settle = undefined;
    this.#signal = undefined;
    settle(sent);
  }

  #destroy(): void {
    clearTimeout(this.#idleTimer);
    this.#dead = true;
    this.#pool.forget(this);
    this.#socket.destroy();
  }
}

/** The connections, and the idle ones per origin (the most recently used last). */
class Connections {
  readonly #net: NodeNet;
  readonly #tls: NodeTls;
  readonly #idle = new Map<string, Connection[]>();

  constructor(net: NodeNet, tls: NodeTls) {
    this.#net = net;
    this.#tls = tls;
  }

  /** An idle connection to the origin, or a new one. */
  take(url: URL, origin: string): Connection {
    const idle = this.#idle.get(origin);
    for (let c = idle?.pop(); c !== undefined; c = idle?.pop()) if (!c.dead) return c;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const https = url.protocol === 'https:';
    const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
    const socket = https
      ? this.#tls.connect({ host, port, ALPNProtocols: ['http/1.1'] })
      : this.#net.connect({ host, port });
    return new Connection(origin, socket, this);
  }

  keep(connection: Connection, idleMs: number): void {
    const list = this.#idle.get(connection.origin) ?? [];
    this.#idle.set(connection.origin, list);
    list.push(connection);
    connection.idle(idleMs);
  }

  forget(connection: Connection): void {
    const list = this.#idle.get(connection.origin);
    const at = list?.indexOf(connection) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }
}

/** One request: on an idle connection or a new one; a request header that is not allowed throws. */
function sendOnce(
  connections: Connections,
  request: ExchangeRequest,
  signal: AbortSignal | undefined,
  deadline: number,
): Promise<Sent> {
  const url = new URL(request.url);
  const origin = `${url.protocol}//${url.host}`;
  const body = request.body === undefined ? undefined : encoder.encode(request.body);
  const bytes = requestBytes(request.method, url, request.headers, body);
  return connections.take(url, origin).send(bytes, signal, deadline);
}

/** What the transport reads of a response, or undefined where `fetch` must take over. */
function read(response: WireResponse): ExchangeResponse | undefined {
  const encoding = response.headers.get('content-encoding');
  const redirect = REDIRECTS.has(response.status) && response.headers.has('location');
  if (redirect || (encoding !== undefined && encoding.toLowerCase() !== 'identity')) return undefined;
  return {
    status: response.status,
    statusText: response.statusText,
    retryAfter: response.headers.get('retry-after') ?? null,
    text: decoder.decode(response.body),
  };
}

let exchange: Exchange | undefined;

/** The exchange over node:net/tls; undefined outside Node (no `process.getBuiltinModule`). */
export function nodeExchange(): Exchange | undefined {
  if (exchange !== undefined) return exchange;
  const load = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule;
  if (typeof load !== 'function') return undefined;
  const net = load('node:net') as NodeNet | undefined;
  const tls = load('node:tls') as NodeTls | undefined;
  if (net === undefined || tls === undefined) return undefined;
  const connections = new Connections(net, tls);
  const viaFetch = fetchExchange((input, init) => globalThis.fetch(input, init));
  exchange = async (request, signal, timeoutMs) => {
    if (signal?.aborted) throw signal.reason;
    const deadline = Date.now() + timeoutMs;
    let sent = await sendOnce(connections, request, signal, deadline);
    // A kept-alive connection closed by the service as it was reused: once more on a new one.
    if ('ending' in sent && sent.stale) sent = await sendOnce(connections, request, signal, deadline);
    if ('response' in sent) {
      return read(sent.response) ?? viaFetch(request, signal, Math.max(1, deadline - Date.now()));
    }
    const { kind, cause } = sent.ending;
    if (kind === 'timeout') throw new ExchangeTimeout(timeoutMs);
    throw cause;
  };
  return exchange;
}
