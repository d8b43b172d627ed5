import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestService } from '@blindpseudo/server/testing';
import { type ClientOptions, ClientErrorCodes, createClient as create } from '../src/index.js';
import { DOMAIN, closedPort, startProxy, startService } from './support.js';

let service: TestService;
before(async () => {
  service = await startService();
});
after(() => service.close());

/** A service that is down: it accepts connections and closes them unanswered; counts them. */
async function resettingServer(): Promise<{ baseUrl: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req) => {
    requests++;
    req.socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/pseudo/v1`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Every behaviour holds for both exchanges: node:http (Node's default) and a caller's fetch.
const TRANSPORTS: [string, Partial<ClientOptions>][] = [
  ['node:http', {}],
  ['fetch', { fetch: (input, init) => fetch(input, init) }],
];

for (const [via, transport] of TRANSPORTS) {
  const createClient = (options: ClientOptions) => create({ ...transport, ...options });

  test(`failover: with the first base URL down, no call fails and later calls go to the second (${via})`, async () => {
    const down = await resettingServer();
    const live = await startProxy(service.baseUrl, async (_req, _body, res, forward) => {
      const answer = await forward();
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(answer.body);
    });
    try {
      const client = createClient({ baseUrls: [down.baseUrl, live.baseUrl], cache: false });
      let failed = 0;
      for (let i = 0; i < 5; i++) {
        try {
          assert.equal(await client.identifyText(DOMAIN, await client.pseudonymize(DOMAIN, `v${i}`)), `v${i}`);
        } catch {
          failed++;
        }
      }
      assert.equal(failed, 0);
      // Only the very first request met the dead base URL; it then cooled down at the back.
      assert.equal(down.requests(), 1);
      assert.equal(live.requests.length, 1 + 5 * 2);
    } finally {
      await Promise.all([down.close(), live.close()]);
    }
  });

  test(`retry: a 429 with Retry-After is honoured, then the call succeeds (${via})`, async () => {
    let refused = 0;
    const proxy = await startProxy(service.baseUrl, async (req, _body, res, forward) => {
      if (req.url?.endsWith('/pseudonymize') && refused === 0) {
        refused++;
        res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        res.end(
          JSON.stringify({
            type: 'urn:problem-type:belgif:tooManyRequests',
            title: 'Too Many Requests',
            status: 429,
            detail: 'slow down',
          }),
        );
        return;
      }
      const answer = await forward();
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(answer.body);
    });
    try {
      const client = createClient({ baseUrls: proxy.baseUrl, retryBaseDelayMs: 1, cache: false });
      const transit = await client.pseudonymize(DOMAIN, 'patient');
      assert.equal(await client.identifyText(DOMAIN, transit), 'patient');
      const posts = proxy.requests.filter((r) => r.path.endsWith('/pseudonymize'));
      assert.equal(posts.length, 2);
      assert.ok(posts[1]!.at - posts[0]!.at >= 950, 'waited for Retry-After');
    } finally {
      await proxy.close();
    }
  });

  test(`retry: 5xx is retried with backoff; a 4xx problem is not, and carries the problem (${via})`, async () => {
    let failures = 2;
    const proxy = await startProxy(service.baseUrl, async (req, body, res, forward) => {
      if (req.url?.endsWith('/pseudonymize') && failures > 0) {
        failures--;
        res.writeHead(503, { 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({
            type: 'urn:problem-type:belgif:serviceUnavailable',
            title: 'Service Unavailable',
            status: 503,
            detail: 'busy',
          }),
        );
        return;
      }
      const answer = await forward();
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(answer.body);
      void body;
    });
    try {
      const client = createClient({ baseUrls: proxy.baseUrl, retryBaseDelayMs: 5, cache: false });
      await client.pseudonymize(DOMAIN, 'x');
      assert.equal(proxy.requests.filter((r) => r.path.endsWith('/pseudonymize')).length, 3);
      const before = proxy.requests.length;
      await assert.rejects(client.pseudonymize('no_such_domain', 'x'), (err: unknown) => {
        assert.equal((err as { code: string }).code, ClientErrorCodes.PROBLEM);
        assert.equal((err as { status: number }).status, 404);
        assert.equal((err as { problem: { status: number } }).problem.status, 404);
        return true;
      });
      assert.equal(proxy.requests.length, before + 1);
    } finally {
      await proxy.close();
    }
  });

  test(`retries give up with a typed error when every base URL stays down (${via})`, async () => {
    const down = `http://127.0.0.1:${await closedPort()}/pseudo/v1`;
    const client = createClient({ baseUrls: [down], retries: 2, retryBaseDelayMs: 1 });
    await assert.rejects(client.getDomain(DOMAIN), { code: ClientErrorCodes.NETWORK });
  });

  test(`a Retry-After longer than allowed is given to the caller at once (${via})`, async () => {
    const proxy = await startProxy(service.baseUrl, async (_req, _body, res) => {
      res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '3600' });
      res.end(
        JSON.stringify({
          type: 'urn:problem-type:belgif:tooManyRequests',
          title: 'Too Many Requests',
          status: 429,
          detail: 'later',
        }),
      );
    });
    try {
      const client = createClient({ baseUrls: proxy.baseUrl, retryMaxDelayMs: 1000 });
      const started = Date.now();
      await assert.rejects(client.getDomain(DOMAIN), { code: ClientErrorCodes.PROBLEM, status: 429 });
      assert.ok(Date.now() - started < 900);
    } finally {
      await proxy.close();
    }
  });

  test(`timeouts and the caller AbortSignal end calls with typed errors (${via})`, async () => {
    const proxy = await startProxy(service.baseUrl, async (_req, _body, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 2000).unref();
    });
    try {
      const slow = createClient({ baseUrls: proxy.baseUrl, timeoutMs: 100, retries: 0 });
      await assert.rejects(slow.getDomain(DOMAIN), { code: ClientErrorCodes.TIMEOUT });
      const client = createClient({ baseUrls: proxy.baseUrl });
      await assert.rejects(client.getDomain(DOMAIN, { signal: AbortSignal.timeout(50) }), {
        code: ClientErrorCodes.ABORTED,
      });
    } finally {
      await proxy.close();
    }
  });

  test(`the bearer token goes in Authorization, and is refreshed once after a 401 (${via})`, async () => {
    const seen: (string | undefined)[] = [];
    const proxy = await startProxy(service.baseUrl, async (req, _body, res, forward) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== 'Bearer fresh') {
        res.writeHead(401, { 'content-type': 'application/problem+json' });
        res.end(
          JSON.stringify({
            type: 'urn:problem-type:belgif:expiredAccessToken',
            title: 'Unauthorized',
            status: 401,
            detail: 'expired',
          }),
        );
        return;
      }
      const answer = await forward();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    try {
      const client = createClient({ baseUrls: proxy.baseUrl, token: ({ refresh }) => (refresh ? 'fresh' : 'stale') });
      const document = await client.getDomain(DOMAIN);
      assert.equal(document.domain, DOMAIN);
      assert.deepEqual(seen, ['Bearer stale', 'Bearer fresh']);
    } finally {
      await proxy.close();
    }
  });
}
