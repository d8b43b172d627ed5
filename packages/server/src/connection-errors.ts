/**
 * Answers to requests that never reach Fastify's routing, as RFC 9457 problems like every other
 * answer: what Node's HTTP server reports as `clientError` (a request not received whole within
 * config.limits.requestTimeoutMs, headers too large, bytes that are not HTTP), `CONNECT`
 * requests, and `Expect` headers other than `100-continue`. Where there is no response object the
 * problem is written straight on the socket, which is then closed once the client has finished
 * sending (closing with unread bytes would reset the connection before the answer is read).
 *
 * Nothing of the request is repeated or logged: only the error's code.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ServiceError } from './errors.js';
import { PROBLEM_CONTENT_TYPE, problemFromError } from './problems.js';

/** How long a refused connection may go on sending before it is closed anyway. */
const DRAIN_MS = 2000;
const answered = new WeakSet<Socket>();

function refusalOf(code: string | undefined): ServiceError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ServiceError('ERR_SERVER_REQUEST_TIMEOUT', 'the request was not received whole in time');
    case 'HPE_HEADER_OVERFLOW':
      return new ServiceError('ERR_SERVER_HEADERS_TOO_LARGE', 'the request headers are too large');
    default:
      return new ServiceError('ERR_SERVER_INVALID_REQUEST', 'the request is not valid HTTP');
  }
}

function headersOf(body: string): Record<string, string | number> {
  return {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'close',
  };
}

/** Writes the refusal's problem on the socket, then closes it when the client has sent all (or after a while). */
function refuseOnSocket(socket: Socket, refusal: ServiceError): void {
  answered.add(socket);
  // As Node does: never write into an answer that has started already.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const { problem } = problemFromError(refusal);
    const body = JSON.stringify(problem);
    const { status, title } = problem;
    const head = Object.entries(headersOf(body))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(`HTTP/1.1 ${status} ${title}\r\n${head}\r\n${body}`);
  }
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), DRAIN_MS).unref();
  socket.resume();
}

/** Fastify's `clientErrorHandler` (called with the Fastify instance as `this`). */
export function answerClientError(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer; a refused one was answered already (Node's parser
  // reports the same error again for every further chunk).
  if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  const refusal = refusalOf(err.code);
  this.log.info({ code: err.code ?? 'unknown', refusal: refusal.code }, 'connection refused before routing');
  refuseOnSocket(socket, refusal);
}

/**
 * Answers, on the server's own events, what Node would otherwise answer with an empty body or
 * not at all: `CONNECT` (405) and an `Expect` other than `100-continue` (417).
 */
export function answerServerRefusals(server: Server, log: FastifyBaseLogger): void {
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    log.info({ refusal: 'ERR_SERVER_METHOD_NOT_ALLOWED' }, 'CONNECT refused');
    refuseOnSocket(socket, new ServiceError('ERR_SERVER_METHOD_NOT_ALLOWED', 'CONNECT is not allowed'));
  });
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    log.info({ refusal: 'ERR_SERVER_EXPECTATION_FAILED' }, 'request refused before routing');
    const refusal = new ServiceError('ERR_SERVER_EXPECTATION_FAILED', 'only "Expect: 100-continue" is supported');
    const { problem } = problemFromError(refusal);
    const body = JSON.stringify(problem);
    response.writeHead(problem.status, headersOf(body)).end(body);
  });
}
