/** Test support: a real service, a fetch that counts requests, and a small real HTTP proxy. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type StartTestServiceOptions, type TestService, startTestService } from '@blindpseudo/server/testing';
import type { FetchFunction } from '../src/index.js';

export const DOMAIN = 'uhmep_v1';
export const OTHER = 'other_v1';

/** The real service with the two test domains; `options` adds settings (such as `cors`). */
export async function startService(options: Omit<StartTestServiceOptions, 'domains'> = {}): Promise<TestService> {
  return startTestService({
    ...options,
    domains: [
      { key: DOMAIN, timeToLiveInTransit: 'PT10M' },
      { key: OTHER, timeToLiveInTransit: 'PT10M' },
    ],
  });
}

export interface CountingFetch {
  readonly fetch: FetchFunction;
  /** Requests sent, as `METHOD path`. */
  readonly calls: string[];
  count(pathEnd: string): number;
}

/** The platform fetch, recording every request it sends (nothing is mocked). */
export function countingFetch(): CountingFetch {
  const calls: string[] = [];
  return {
    calls,
    fetch: (input, init) => {
      calls.push(`${init.method ?? 'GET'} ${new URL(input).pathname}`);
      return fetch(input, init);
    },
    count: (pathEnd) => calls.filter((c) => c.endsWith(pathEnd)).length,
  };
}

export interface Proxy {
  readonly baseUrl: string;
  /** Requests received, as `METHOD path`. */
  readonly requests: { method: string; path: string; at: number }[];
  close(): Promise<void>;
}

export type ProxyHandler = (
  req: IncomingMessage,
  body: string,
  res: ServerResponse,
  forward: () => Promise<{ status: number; headers: Headers; body: string }>,
) => Promise<void>;

/** A real HTTP server on 127.0.0.1 that sees each request first and may forward it to `target`. */
export async function startProxy(target: string, handler: ProxyHandler): Promise<Proxy> {
  const targetUrl = new URL(target);
  const requests: Proxy['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '', at: Date.now() });
      const forward = async () => {
        const upstream = await fetch(`${targetUrl.origin}${req.url}`, {
          method: req.method,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        });
        return { status: upstream.status, headers: upstream.headers, body: await upstream.text() };
      };
      handler(req, body, res, forward).catch((err: unknown) => {
        res.writeHead(599).end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${targetUrl.pathname}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Forwards, optionally rewriting the JSON answer. */
export function rewriting(rewrite: (path: string, json: unknown) => unknown): ProxyHandler {
  return async (req, _body, res, forward) => {
    const answer = await forward();
    const json = answer.body ? (JSON.parse(answer.body) as unknown) : undefined;
    const out = answer.status === 200 ? rewrite(req.url ?? '', json) : json;
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(JSON.stringify(out));
  };
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
