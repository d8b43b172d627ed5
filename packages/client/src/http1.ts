/**
 * HTTP/1.1 on the wire (RFC 9112), the little the client needs: the bytes of a request, and a
 * strict reader of one response from a byte stream. Anything it does not expect (a malformed
 * status line or header, folded headers, both Content-Length and Transfer-Encoding, Content-Length
 * values that differ, a transfer coding other than chunked, a head over 64 KiB, an upgrade) is an
 * {@link HttpWireError}, and the connection is not used again. No Node types: bytes are
 * Uint8Arrays.
 */

/** A response that is not well-formed HTTP/1.1 (the connection is then closed). */
export class HttpWireError extends Error {
  constructor(why: string) {
    super(`malformed HTTP response: ${why}`);
    this.name = 'HttpWireError';
  }
}

const MAX_HEAD_BYTES = 64 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,15})[ \t]*(?:;.*)?$/;
const encoder = new TextEncoder();

/** The bytes of a request: request line, `Host`, the headers (checked), `Content-Length`, body. */
export function requestBytes(
  method: string,
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array | undefined,
): Uint8Array {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    // A CR or LF in a header would let a value write further headers or a second request.
    if (!TOKEN.test(name) || FORBIDDEN_IN_VALUE.test(value)) throw new TypeError(`invalid request header ${name}`);
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection')
      continue; // set by the exchange
    head += `${name}: ${value}\r\n`;
  }
  if (body !== undefined) head += `content-length: ${body.length}\r\n`;
  const headBytes = encoder.encode(`${head}\r\n`);
  if (body === undefined || body.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

/** A response read whole. */
export interface WireResponse {
  readonly status: number;
  readonly statusText: string;
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
  /** The connection may carry another request (HTTP/1.1, framed body, no `Connection: close`, nothing after). */
  readonly reusable: boolean;
}

type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

function indexOfCrlf(bytes: Uint8Array, from: number, double: boolean): number {
  for (let i = from; i + (double ? 3 : 1) < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && (!double || (bytes[i + 2] === 13 && bytes[i + 3] === 10))) return i;
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
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

function readFraming(status: number, headers: Map<string, string>): Framing {
  if (status === 204 || status === 304) return { kind: 'none' };
  const te = headers.get('transfer-encoding');
  const cl = headers.get('content-length');
  if (te !== undefined) {
    if (cl !== undefined) throw new HttpWireError('both Transfer-Encoding and Content-Length');
    if (te.toLowerCase() !== 'chunked') throw new HttpWireError(`transfer coding ${te}`);
    return { kind: 'chunked' };
  }
  if (cl !== undefined) {
    const values = new Set(cl.split(',').map((v) => v.trim()));
    const [value] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(value!)) throw new HttpWireError('invalid Content-Length');
    return { kind: 'length', left: Number(value) };
  }
  return { kind: 'close' };
}

/** Reads one response from the bytes of a connection, fed as they come. */
export class ResponseReader {
  #buffer: Uint8Array = new Uint8Array(0);
  #head: { status: number; statusText: string; headers: Map<string, string>; http11: boolean } | undefined;
  #framing: Framing | undefined;
  #body: Uint8Array[] = [];
  #chunkLeft = -1; // chunked: bytes left in the current chunk, -1 before a size line, -2 in trailers
  #done: WireResponse | undefined;

  /** True once a whole byte has arrived (a connection that fails before is one the service closed). */
  get started(): boolean {
    return this.#head !== undefined || this.#buffer.length > 0;
  }

  /** Takes bytes; returns the response once complete. Throws {@link HttpWireError}. */
  feed(chunk: Uint8Array): WireResponse | undefined {
    if (this.#done !== undefined) throw new HttpWireError('data after the response');
    this.#buffer = this.#buffer.length === 0 ? chunk : concat([this.#buffer, chunk]);
    while (this.#head === undefined) if (!this.#readHead()) return undefined;
    return this.#readBody();
  }

  /** The connection ended: the response if it was framed by the close, else an error. */
  end(): WireResponse {
    if (this.#done !== undefined) return this.#done;
    if (this.#framing?.kind !== 'close') throw new HttpWireError('the connection closed before the response ended');
    this.#body.push(this.#buffer);
    return this.#finish(false);
  }

  #readHead(): boolean {
    const at = indexOfCrlf(this.#buffer, 0, true);
    if (at < 0) {
      if (this.#buffer.length > MAX_HEAD_BYTES) throw new HttpWireError('head too large');
      return false;
    }
    const lines = latin1(this.#buffer.subarray(0, at)).split('\r\n');
    this.#buffer = this.#buffer.subarray(at + 4);
    const statusLine = STATUS_LINE.exec(lines[0]!);
    if (statusLine === null) throw new HttpWireError('status line');
    const status = Number(statusLine[2]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const header = HEADER_LINE.exec(line);
      if (header === null) throw new HttpWireError('header line');
      const name = header[1]!.toLowerCase();
      const previous = headers.get(name);
      headers.set(name, previous === undefined ? header[2]! : `${previous}, ${header[2]!}`);
    }
    if (status === 101) throw new HttpWireError('unexpected protocol switch');
    if (status < 200) return true; // an interim response (100 Continue, 103 Early Hints): the next head follows
    this.#head = { status, statusText: statusLine[3] ?? '', headers, http11: statusLine[1] === '1' };
    this.#framing = readFraming(status, headers);
    return true;
  }

  #readBody(): WireResponse | undefined {
    const framing = this.#framing!;
    if (framing.kind === 'none') return this.#finish(this.#buffer.length === 0);
    if (framing.kind === 'length') {
      if (this.#buffer.length < framing.left) {
        this.#body.push(this.#buffer);
        framing.left -= this.#buffer.length;
        this.#buffer = new Uint8Array(0);
        return undefined;
      }
      this.#body.push(this.#buffer.subarray(0, framing.left));
      const extra = this.#buffer.length > framing.left;
      this.#buffer = new Uint8Array(0);
      return this.#finish(!extra);
    }
    if (framing.kind === 'chunked') return this.#readChunks();
    return undefined; // until the connection closes
  }

  #readChunks(): WireResponse | undefined {
    for (;;) {
      if (this.#chunkLeft > 0) {
        const take = Math.min(this.#chunkLeft, this.#buffer.length);
        this.#body.push(this.#buffer.subarray(0, take));
        this.#buffer = this.#buffer.subarray(take);
        this.#chunkLeft -= take;
        if (this.#chunkLeft > 0) return undefined;
        this.#chunkLeft = 0; // the CRLF after the data
      }
      const at = indexOfCrlf(this.#buffer, 0, false);
      if (at < 0) {
        if (this.#buffer.length > MAX_HEAD_BYTES) throw new HttpWireError('chunk line too long');
        return undefined;
      }
      const line = latin1(this.#buffer.subarray(0, at));
      this.#buffer = this.#buffer.subarray(at + 2);
      if (this.#chunkLeft === 0) {
        if (line !== '') throw new HttpWireError('chunk not followed by CRLF');
        this.#chunkLeft = -1;
      } else if (this.#chunkLeft === -2) {
        if (line === '') return this.#finish(this.#buffer.length === 0); // end of the trailers
        if (!HEADER_LINE.test(line)) throw new HttpWireError('trailer line');
      } else {
        const size = CHUNK_SIZE.exec(line);
        if (size === null) throw new HttpWireError('chunk size');
        const n = parseInt(size[1]!, 16);
        this.#chunkLeft = n === 0 ? -2 : n;
      }
    }
  }

  #finish(clean: boolean): WireResponse {
    const head = this.#head!;
    const connection = head.headers.get('connection')?.toLowerCase() ?? '';
    const closes = connection.split(',').some((token) => token.trim() === 'close');
    this.#done = Object.freeze({
      status: head.status,
      statusText: head.statusText,
      headers: head.headers,
      body: concat(this.#body),
      reusable: clean && head.http11 && !closes && this.#framing!.kind !== 'close',
    });
    return this.#done;
  }
}
