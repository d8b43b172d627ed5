/**
 * Answers to requests that never reach Fastify's routing: Node's HTTP server reports them as
 * `clientError` (a request not received whole within config.limits.requestTimeoutMs, headers too
 * large, bytes that are not HTTP). They get an RFC 9457 problem like every other answer, written
 * straight on the socket (there is no request object), then the connection is closed.
 *
 * Nothing of the request is repeated or logged: only the error's code.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, type ProblemKind, ProblemKinds, problem } from './problems.js';

function kindOf(code: string | undefined): { kind: ProblemKind; detail: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { kind: 'requestTimeout', detail: 'the request was not received whole in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { kind: 'requestHeaderFieldsTooLarge', detail: 'the request headers are too large' };
    default:
      return { kind: 'badRequest', detail: 'the request is not valid HTTP' };
  }
}

/** Fastify's `clientErrorHandler` (called with the Fastify instance as `this`). */
export function answerClientError(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { kind, detail } = kindOf(err.code);
  this.log.info({ code: err.code ?? 'unknown', problem: kind }, 'connection refused before routing');
  // As Node does: never write into an answer that has started already.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify(problem(kind, detail));
    const { status, title } = ProblemKinds[kind];
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\n` +
        `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
