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

/** Idle connections per origin, the most recently used last. */
class Connections {
  readonly #net: NodeNet;
  readonly #tls: NodeTls;
  readonly #idle = new Map<string, { socket: NodeSocket; release(): void }[]>();

  constructor(net: NodeNet, tls: NodeTls) {
    this.#net = net;
    this.#tls = tls;
  }

  /** An idle connection to the origin (reused) or a new one. */
  take(url: URL, origin: string): { socket: NodeSocket; reused: boolean } {
    const idle = this.#idle.get(origin)?.pop();
    if (idle !== undefined) {
      idle.release();
      idle.socket.ref();
      return { socket: idle.socket, reused: true };
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const https = url.protocol === 'https:';
    const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
    const socket = https
      ? this.#tls.connect({ host, port, ALPNProtocols: ['http/1.1'] })
      : this.#net.connect({ host, port });
    socket.setNoDelay(true);
    return { socket, reused: false };
  }

  /** Keeps a connection for the next request, until it idles out, closes or says anything. */
  give(origin: string, socket: NodeSocket, idleMs: number): void {
    const list = this.#idle.get(origin) ?? [];
    this.#idle.set(origin, list);
    const drop = (): void => {
      const at = list.indexOf(entry);
      if (at >= 0) list.splice(at, 1);
      entry.release();
      socket.destroy();
    };
    const timer = setTimeout(drop, idleMs);
    const entry = {
      socket,
      release: (): void => {
        clearTimeout(timer);
        socket.removeListener('data', drop);
        socket.removeListener('error', drop);
        socket.removeListener('close', drop);
      },
    };
    socket.on('data', drop); // unasked-for bytes: the connection is out of step
    socket.on('error', drop);
    socket.on('close', drop);
    socket.unref();
    list.push(entry);
  }
}

/** How long the service lets a connection idle (`Keep-Alive: timeout=n`), with a margin. */
function idleMs(response: WireResponse): number {
  const hint = /(?:^|,)\s*timeout=(\d+)/i.exec(response.headers.get('keep-alive') ?? '');
  return hint === null ? IDLE_MS : Math.min(IDLE_MS, Number(hint[1]) * 1000 - 1000);
}

/** Why an attempt ended without a response: timed out, aborted, or another error. */
type Ending = { readonly kind: 'timeout' | 'abort' | 'error'; readonly cause: unknown };
type Sent = { response: WireResponse } | { ending: Ending; stale: boolean };

/** One request on one connection; a kept-alive connection that fails before answering is `stale`. */
function sendOnce(
  connections: Connections,
  request: ExchangeRequest,
  signal: AbortSignal | undefined,
  deadline: number,
): Promise<Sent> {
  return new Promise((resolve) => {
    const url = new URL(request.url);
    const origin = `${url.protocol}//${url.host}`;
    const body = request.body === undefined ? undefined : encoder.encode(request.body);
    const bytes = requestBytes(request.method, url, request.headers, body); // throws on a bad header
    const { socket, reused } = connections.take(url, origin);
    const reader = new ResponseReader();
    let settled = false;
    const settle = (sent: Sent): void => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      resolve(sent);
    };
    const end = (kind: Ending['kind'], cause: unknown): void => {
      if (settled) return;
      settle({ ending: { kind, cause }, stale: kind === 'error' && reused && !reader.started });
      socket.destroy();
    };
    const answered = (response: WireResponse): void => {
      settle({ response });
      if (response.reusable) connections.give(origin, socket, idleMs(response));
      else socket.destroy();
    };
    const onData = (chunk: Uint8Array): void => {
      try {
        const response = reader.feed(chunk);
        if (response !== undefined) answered(response);
      } catch (err) {
        end('error', err);
      }
    };
    const onError = (err: Error): void => end('error', err);
    const onClose = (): void => {
      if (settled) return;
      try {
        answered(reader.end());
      } catch (err) {
        end('error', err);
      }
    };
    const onAbort = (): void => end('abort', signal?.reason);
    const timer = setTimeout(() => end('timeout', undefined), Math.max(0, deadline - Date.now()));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.write(bytes);
  });
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
