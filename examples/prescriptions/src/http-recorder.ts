/**
 * Records what a party sends and receives over HTTP (a `fetch` wrapper), for the demo's "what
 * each party saw" and for the privacy scan of what the clients received.
 */
import type { FetchFunction } from '@blindpseudo/client';

export interface RecordedExchange {
  readonly method: string;
  readonly url: string;
  readonly requestBody: string;
  readonly status: number | undefined;
  readonly responseBody: string;
}

export class HttpRecorder {
  readonly exchanges: RecordedExchange[] = [];
  readonly #inner: FetchFunction;

  constructor(inner: FetchFunction = (input, init) => globalThis.fetch(input, init)) {
    this.#inner = inner;
  }

  /** A fetch that records every exchange (the response is read once and handed on intact). */
  readonly fetch: FetchFunction = async (input, init) => {
    const requestBody = typeof init.body === 'string' ? init.body : '';
    const method = init.method ?? 'GET';
    let response: Response;
    try {
      response = await this.#inner(input, init);
    } catch (err) {
      this.exchanges.push({ method, url: input, requestBody, status: undefined, responseBody: '' });
      throw err;
    }
    const responseBody = await response.text();
    this.exchanges.push({ method, url: input, requestBody, status: response.status, responseBody });
    return new Response(responseBody, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  /** Everything received, as one text (for scanning). */
  receivedText(): string {
    return this.exchanges.map((e) => e.responseBody).join('\n');
  }

  /** Everything sent, as one text. */
  sentText(): string {
    return this.exchanges.map((e) => `${e.method} ${e.url}\n${e.requestBody}`).join('\n');
  }
}
