/**
 * The integrator's side of the official helper's `PseudonymisationClient` interface (payload in as
 * a JSON string, raw response text out), over `fetch`; like every real integration it rejects
 * non-2xx answers, since the helper itself cannot tell a problem apart. No Node imports: the
 * interop tests and the benches use it in Node, the browser bench's page in Chromium.
 */
import type { PseudonymisationClient } from '@smals-belgium-shared/pseudo-helper';

/** An HTTP error as the integrator's client reports it to the helper. */
export class OfficialClientHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
  }
}

/** The integrator's `PseudonymisationClient` for a service at `baseUrl` (…/pseudo/v1). */
export function officialHttpClient(baseUrl: string): PseudonymisationClient {
  const call = async (method: 'GET' | 'POST', path: string, body?: string): Promise<string> => {
    const response = await fetch(`${baseUrl}/domains/${path}`, {
      method,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    if (!response.ok) throw new OfficialClientHttpError(response.status, text);
    return text;
  };
  return {
    getDomain: (domain) => call('GET', domain),
    pseudonymize: (domain, payload) => call('POST', `${domain}/pseudonymize`, payload),
    identify: (domain, payload) => call('POST', `${domain}/identify`, payload),
    pseudonymizeMultiple: (domain, payload) => call('POST', `${domain}/pseudonymizeMultiple`, payload),
    identifyMultiple: (domain, payload) => call('POST', `${domain}/identifyMultiple`, payload),
  };
}
