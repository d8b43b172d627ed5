/**
 * Node's exchange (HTTP/1.1 on kept-alive node:net/tls sockets) against the fetch exchange: the
 * same request on the wire and the same reading of every kind of answer; what it hands to fetch
 * (redirects, compressed bodies); kept-alive connections closed by the service, closed after
 * `Connection: close`, dropped after unasked-for bytes; bodies cut short or too slow; headers
 * that would inject; HTTPS with the platform's trust (untrusted refused; trusted works).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, type Server, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import type { TestService } from '@blindpseudo/server/testing';
import { ClientErrorCodes, createClient } from '../src/index.js';
import { type ExchangeRequest, ExchangeTimeout, fetchExchange } from '../src/exchange.js';
import { nodeExchange } from '../src/node-exchange.js';
import { DOMAIN, startProxy, startService } from './support.js';

let service: TestService;
before(async () => {
  service = await startService();
});
after(() => service.close());

const viaNode = nodeExchange()!;
const viaFetch = fetchExchange((input, init) => fetch(input, init));

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function listen(
  server: Server,
  handler: Handler,
  scheme = 'http',
): Promise<{ url: string; close(): Promise<void> }> {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const post = (url: string, body = '{"a":"é"}'): ExchangeRequest => ({
  url,
  method: 'POST',
  headers: {
    accept: 'application/json',
    'content-type': 'application/json',
    authorization: 'Bearer t',
    'x-api-key': 'k',
  },
  body,
});

test('the Node exchange sends what fetch sends and reads every answer as fetch reads it', async () => {
  const seen: string[] = [];
  const answers: Record<string, (res: ServerResponse) => void> = {
    '/json': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"x":"ü"}'),
    '/bom': (res) => res.writeHead(200).end(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])),
    '/bad-utf8': (res) => res.writeHead(200).end(Buffer.from([0x22, 0xff, 0xc3, 0x22])),
    '/empty': (res) => res.writeHead(204).end(),
    '/busy': (res) => res.writeHead(503, 'Very Busy', { 'retry-after': '7' }).end('{"status":503}'),
    '/chunked': (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"big":"');
      res.write(Buffer.from('é'.repeat(30_000)).subarray(0, 1)); // a character split across chunks
      res.end(Buffer.concat([Buffer.from('é'.repeat(30_000)).subarray(1), Buffer.from('"}')]));
    },
  };
  const server = await listen(createServer(), (req, body, res) => {
    const h = req.headers;
    seen.push(
      JSON.stringify([req.method, req.url, body, h['content-type'], h.accept, h.authorization, h['x-api-key']]),
    );
    answers[req.url!]!(res);
  });
  try {
    for (const path of Object.keys(answers)) {
      const byFetch = await viaFetch(post(server.url + path), undefined, 5000);
      const byNode = await viaNode(post(server.url + path), undefined, 5000);
      assert.deepEqual(byNode, byFetch, path);
      assert.equal(seen.at(-1), seen.at(-2), path);
    }
    const get = { url: `${server.url}/json`, method: 'GET' as const, headers: {}, body: undefined };
    assert.deepEqual(await viaNode(get, undefined, 5000), await viaFetch(get, undefined, 5000));
  } finally {
    await server.close();
  }
});

test('in Node the client goes over the Node exchange by default, on one kept-alive connection', async () => {
  const ports = new Set<number>();
  const agents = new Set<string | undefined>();
  const proxy = await startProxy(service.baseUrl, async (req, _body, res, forward) => {
    ports.add(req.socket.remotePort!);
    agents.add(req.headers['sec-fetch-mode']);
    const answer = await forward();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  try {
    const client = createClient({ baseUrls: proxy.baseUrl, cache: false });
    for (let i = 0; i < 3; i++)
      assert.equal(await client.identifyText(DOMAIN, await client.pseudonymize(DOMAIN, 'v')), 'v');
    assert.equal(proxy.requests.length, 7);
    assert.equal(ports.size, 1);
    assert.deepEqual([...agents], [undefined]); // fetch would send sec-fetch-mode: cors
  } finally {
    await proxy.close();
  }
});

test('a redirect is followed and a compressed answer read, by the platform fetch as before', async () => {
  const server = await listen(createServer(), (req, _body, res) => {
    if (req.url === '/moved') return void res.writeHead(307, { location: '/gzip' }).end();
    res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('{"ok":true}'));
  });
  try {
    for (const path of ['/moved', '/gzip']) {
      const answer = await viaNode(post(server.url + path), undefined, 5000);
      assert.equal(answer.status, 200);
      assert.equal(answer.text, '{"ok":true}');
    }
  } finally {
    await server.close();
  }
});

test('a kept-alive connection the service closed is replaced at once; a fresh one that fails is an error', async () => {
  const perSocket = new Map<unknown, number>();
  let closedOne = false;
  let refuseAll = false;
  const server = await listen(createServer(), (req, _body, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (refuseAll || (n === 2 && !closedOne)) {
      closedOne = true;
      return void req.socket.destroy();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await viaNode(post(server.url), undefined, 5000)).status, 200);
    assert.equal(perSocket.size, 2); // the second request met a closing connection and went again
    refuseAll = true;
    const before = perSocket.size;
    // Once on the kept-alive connection, once on a new one, which fails too: no more.
    const requests = [...perSocket.values()].reduce((a, b) => a + b, 0);
    await assert.rejects(viaNode(post(server.url), undefined, 5000), (err) => !(err instanceof ExchangeTimeout));
    assert.equal(perSocket.size, before + 1);
    assert.equal(
      [...perSocket.values()].reduce((a, b) => a + b, 0),
      requests + 2,
    );
  } finally {
    await server.close();
  }
});

test('a connection is closed after Connection: close, and dropped when it sends unasked-for bytes', async () => {
  const sockets = new Set<unknown>();
  const server = await listen(createServer(), (req, _body, res) => {
    sockets.add(req.socket);
    if (req.url === '/close') return void res.writeHead(200, { connection: 'close' }).end('{}');
    res.writeHead(200, { 'content-length': '2' }).end('{}');
    if (req.url === '/noise') setTimeout(() => req.socket.write('HTTP/1.1 200 OK\r\n'), 20);
  });
  try {
    for (const path of ['/close', '/close', '/noise']) await viaNode(post(server.url + path), undefined, 5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await viaNode(post(`${server.url}/ok`), undefined, 5000)).text, '{}');
    assert.equal(sockets.size, 4);
  } finally {
    await server.close();
  }
});

test('an idle connection the service closed is forgotten: the next request opens a new one at once', async () => {
  const sockets = new Set<unknown>();
  const httpServer = createServer();
  httpServer.keepAliveTimeout = 50;
  const server = await listen(httpServer, (req, _body, res) => {
    sockets.add(req.socket);
    res.writeHead(200, { 'content-length': '2' }).end('{}');
  });
  try {
    await viaNode(post(server.url), undefined, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await viaNode(post(server.url), undefined, 5000);
    assert.equal(sockets.size, 2);
  } finally {
    await server.close();
  }
});

test('a header that would write another header is refused before anything is sent', async () => {
  let seen = 0;
  const server = await listen(createServer(), (_req, _body, res) => {
    seen++;
    res.writeHead(200).end('{}');
  });
  try {
    const client = createClient({ baseUrls: server.url, headers: { 'x-a': 'v\r\nx-b: w' }, retries: 0 });
    await assert.rejects(client.getDomain(DOMAIN), { code: ClientErrorCodes.NETWORK });
    assert.equal(seen, 0);
  } finally {
    await server.close();
  }
});

test('a body cut short is an error, a body slower than the time limit a timeout, an abort ends it', async () => {
  const server = await listen(createServer(), (req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"x":');
    if (req.url!.startsWith('/cut')) setTimeout(() => res.destroy(), 20);
  });
  try {
    await assert.rejects(
      viaNode(post(`${server.url}/cut`), undefined, 5000),
      (err: unknown) => !(err instanceof ExchangeTimeout),
    );
    await assert.rejects(viaNode(post(`${server.url}/slow`), undefined, 100), ExchangeTimeout);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await assert.rejects(viaNode(post(`${server.url}/slow`), controller.signal, 5000), { message: 'stop' });
    const client = createClient({ baseUrls: `${server.url}/pseudo/v1`, timeoutMs: 100, retries: 0 });
    await assert.rejects(client.getDomain(DOMAIN), { code: ClientErrorCodes.TIMEOUT });
    await assert.rejects(createClient({ baseUrls: `${server.url}/cut`, retries: 0 }).getDomain(DOMAIN), {
      code: ClientErrorCodes.NETWORK,
    });
  } finally {
    await server.close();
  }
});

test('HTTPS: a certificate the platform does not trust is refused; one it trusts works', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-tls-'));
  try {
    execFileSync(
      '/usr/bin/openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    const server = await listen(
      createHttpsServer(tls) as unknown as Server,
      (_req, body, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
      'https',
    );
    try {
      await assert.rejects(viaNode(post(server.url), undefined, 5000), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      // Trusted through NODE_EXTRA_CA_CERTS, which Node reads at start: another process.
      const script = `const { nodeExchange } = await import(${JSON.stringify(
        fileURLToPath(new URL('../src/node-exchange.ts', import.meta.url)),
      )}); const a = await nodeExchange()({ url: process.argv[1], method: 'POST', headers: {}, body: '{"ok":1}' }, undefined, 5000); console.log(a.status, a.text);`;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script, server.url],
          { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') } },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      assert.equal(out.trim(), '200 {"ok":1}');
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
