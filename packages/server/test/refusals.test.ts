// Every refusal is a problem document, whether the service, the framework or Node's HTTP server
// refuses: a too long path segment, bad percent-encoding, no Host, an unknown Expect, CONNECT,
// headers too large. Sent over raw sockets, where a client library would not send them.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type TestService, startTestService } from '../src/testing.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends the parts of a request as they are, 200 ms apart as a slow network would, then reads the
 * answer until the connection closes (as many clients do: send all, then read); a reset fails.
 */
function raw(svc: TestService, ...parts: string[]): Promise<RawAnswer> {
  const { port } = new URL(svc.origin);
  return new Promise((resolve, reject) => {
    // Half-open: the client goes on sending after the service has answered, as real ones do.
    const socket = connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
    socket.pause();
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (hadError) return;
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    const send = (i: number): void => {
      if (i === parts.length) {
        socket.end();
        socket.resume();
        return;
      }
      socket.write(parts[i]!);
      setTimeout(() => send(i + 1), 200);
    };
    send(0);
  });
}

function assertProblem(answer: RawAnswer, status: number, kind: string, secret?: string): void {
  assert.equal(answer.status, status, answer.body);
  assert.equal(answer.headers['content-type']?.split(';')[0], 'application/problem+json');
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  assert.equal(problem.type, `urn:problem-type:belgif:${kind}`);
  assert.equal(problem.status, status);
  assert.equal(typeof problem.title, 'string');
  assert.equal(typeof problem.detail, 'string');
  assert.deepEqual(Object.keys(problem).sort(), ['detail', 'status', 'title', 'type']);
  if (secret !== undefined) assert.ok(!answer.body.includes(secret), 'the problem repeats the request');
}

describe('refusals before and around routing', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ domains: [{ key: 'refusals' }] });
  });
  after(async () => svc.close());

  it('a 1,000-character domain path is a 414 problem that does not repeat it', async () => {
    const key = `k${'x'.repeat(999)}`;
    const answer = await raw(svc, `GET /pseudo/v1/domains/${key} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`);
    assertProblem(answer, 414, 'uriTooLong', key);
  });

  it('a path that names nothing is a 404 problem that does not repeat it', async () => {
    const answer = await raw(svc, 'GET /nowhere/private-words HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n');
    assertProblem(answer, 404, 'resourceNotFound', 'private-words');
  });

  it('bad percent-encoding in the path is a 400 problem', async () => {
    const answer = await raw(
      svc,
      'GET /pseudo/v1/domains/%E0%A4%A HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n',
    );
    assertProblem(answer, 400, 'badRequest', '%E0%A4%A');
  });

  it('an HTTP/1.1 request without Host is a 400 problem', async () => {
    const answer = await raw(svc, 'GET /pseudo/v1/domains/refusals HTTP/1.1\r\nConnection: close\r\n\r\n');
    assertProblem(answer, 400, 'badRequest');
  });

  it('an Expect header other than 100-continue is a 417 problem', async () => {
    const answer = await raw(
      svc,
      'GET /pseudo/v1/domains/refusals HTTP/1.1\r\nHost: test\r\nExpect: bogus\r\nConnection: close\r\n\r\n',
    );
    assertProblem(answer, 417, 'expectationFailed', 'bogus');
  });

  it('CONNECT is a 405 problem', async () => {
    const answer = await raw(svc, 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
    assertProblem(answer, 405, 'methodNotAllowed', 'example.org');
  });

  it('a 100 KB Authorization header is a 431 problem', async () => {
    const token = 'A'.repeat(100 * 1024);
    const answer = await raw(
      svc,
      `GET /pseudo/v1/domains/refusals HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    assertProblem(answer, 431, 'requestHeaderFieldsTooLarge', 'AAAAAAAAAA');
  });

  it('a 1 MB Authorization header still sent after the answer is a 431 problem, not a reset', async () => {
    const token = 'A'.repeat(512 * 1024);
    const answer = await raw(
      svc,
      `GET /pseudo/v1/domains/refusals HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}`,
      `${token}\r\nConnection: close\r\n\r\n`,
    );
    assertProblem(answer, 431, 'requestHeaderFieldsTooLarge', 'AAAAAAAAAA');
  });
});
