/**
 * HTTP/1.1 on the wire: requests are written with checked headers; responses are read the same
 * whatever the bytes' split into packets, framed by Content-Length, chunks or the close, and
 * every malformed response is refused (each check has its case).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpWireError, ResponseReader, type WireResponse, requestBytes } from '../src/http1.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Feeds `raw` in the given pieces; `close` ends the connection after. */
function readIn(pieces: Uint8Array[], close = false): WireResponse | undefined {
  const reader = new ResponseReader();
  let response: WireResponse | undefined;
  for (const piece of pieces) response ??= reader.feed(piece);
  return close ? reader.end() : response;
}

/** The same response whatever the split: whole, byte by byte, and cut in two anywhere. */
function readAnySplit(raw: string, close = false): WireResponse {
  const all = bytes(raw);
  const whole = readIn([all], close)!;
  assert.ok(whole !== undefined, 'complete');
  const splits: Uint8Array[][] = [Array.from(all, (b) => Uint8Array.of(b))];
  for (let i = 1; i < all.length; i++) splits.push([all.subarray(0, i), all.subarray(i)]);
  for (const pieces of splits) {
    const r = readIn(pieces, close)!;
    assert.deepEqual(
      [r.status, r.statusText, [...r.headers], text(r.body), r.reusable],
      [whole.status, whole.statusText, [...whole.headers], text(whole.body), whole.reusable],
    );
  }
  return whole;
}

const refused = (raw: string, why: RegExp, close = false): void => {
  assert.throws(
    () => readIn([bytes(raw)], close),
    (err: unknown) => err instanceof HttpWireError && why.test(err.message),
  );
};

test('a request: request line, Host, the headers given, Content-Length, the body', () => {
  const url = new URL('http://[::1]:8080/pseudo/v1/domains/d%20x/pseudonymize?a=1');
  const body = bytes('{"é":1}');
  assert.equal(
    text(requestBytes('POST', url, { accept: 'application/json', Host: 'evil', 'Content-Length': '1' }, body)),
    'POST /pseudo/v1/domains/d%20x/pseudonymize?a=1 HTTP/1.1\r\nhost: [::1]:8080\r\naccept: application/json\r\n' +
      'content-length: 8\r\n\r\n{"é":1}',
  );
  assert.equal(text(requestBytes('GET', new URL('https://h/x'), {}, undefined)), 'GET /x HTTP/1.1\r\nhost: h\r\n\r\n');
});

test('a header that could write further headers or a second request is refused', () => {
  const url = new URL('http://h/');
  const bad: Record<string, string>[] = [
    { 'x-a': 'v\r\nx-b: w' },
    { 'x-a': 'v\nGET / HTTP/1.1' },
    { 'x-a': 'v\0' },
    { 'x a': 'v' },
    { '': 'v' },
  ];
  for (const headers of bad) assert.throws(() => requestBytes('GET', url, headers, undefined), TypeError);
});

test('responses framed by Content-Length, by chunks (with extensions and trailers), by the close', () => {
  const json = readAnySplit(
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\nX-A: 1\r\nx-a: 2\r\n\r\n{"x":"é"}',
  );
  assert.equal(json.status, 200);
  assert.equal(json.statusText, 'OK');
  assert.equal(json.headers.get('x-a'), '1, 2');
  assert.equal(text(json.body), '{"x":"é"}');
  assert.equal(json.reusable, true);
  const chunked = readAnySplit(
    'HTTP/1.1 503 Very Busy\r\nTransfer-Encoding: chunked\r\nRetry-After: 7\r\n\r\n4;a=b\r\n{"st\r\na\r\natus":503}\r\n0\r\nX-T: 1\r\n\r\n',
  );
  assert.deepEqual([chunked.status, chunked.statusText, text(chunked.body)], [503, 'Very Busy', '{"status":503}']);
  assert.equal(chunked.reusable, true);
  const closed = readAnySplit('HTTP/1.1 200 OK\r\n\r\n{"until":"close"}', true);
  assert.deepEqual([text(closed.body), closed.reusable], ['{"until":"close"}', false]);
  const interim = readAnySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX: y\r\n\r\n');
  assert.deepEqual([interim.status, text(interim.body), interim.reusable], [204, '', true]);
  assert.equal(readAnySplit('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\n{}').reusable, true);
});

test('a connection is not used again after Connection: close, HTTP/1.0 or bytes beyond the response', () => {
  assert.equal(
    readAnySplit('HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n').reusable,
    false,
  );
  assert.equal(readAnySplit('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}').reusable, false);
  assert.equal(readIn([bytes('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1')])!.reusable, false);
  const reader = new ResponseReader();
  reader.feed(bytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.throws(() => reader.feed(bytes('x')), HttpWireError);
});

test('every malformed response is refused', () => {
  refused('HTTP/2 200 OK\r\n\r\n', /status line/);
  refused('HTTP/1.1 20 OK\r\n\r\n', /status line/);
  refused('HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n', /header line/);
  refused('HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n', /header line/);
  refused('HTTP/1.1 200 OK\r\nno colon\r\n\r\n', /header line/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', /both/);
  refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', /transfer coding/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\n{}', /Content-Length/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /Content-Length/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n', /Content-Length/);
  refused(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`, /head too large/);
  refused('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n', /protocol switch/);
  refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/);
  refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}x\r\n', /CRLF/);
  refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n', /trailer/);
  refused(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'1'.repeat(70_000)}`, /chunk line too long/);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}', /closed before/, true);
  refused('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}', /closed before/, true);
  refused('HTTP/1.1 200 OK\r\nContent-', /closed before/, true);
});
