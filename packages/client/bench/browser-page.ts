/**
 * The page of the Chromium rows of client.bench.ts (bundled by esbuild): our client with its
 * default (pure JS), our client on the browser's WebCrypto, and the official helper, each making
 * pseudonymize round trips against the service, cross-origin; and the same request without crypto. `window.roundTrips(name, n, tag)`
 * runs n of them one after the other.
 */
import { Curve, PseudonymisationHelper } from '@smals-belgium-shared/pseudo-helper';
import { GENERATOR, pointToJson } from '@blindpseudo/core';
import { createClient, webCryptoMultiplier } from '../src/index.js';
import { officialHttpClient } from '../../../test-support/official-http-client.ts';

type RoundTrip = (value: string) => Promise<unknown>;

const FIXED_POINT = { crv: 'P-521', ...pointToJson(GENERATOR) };

/** The same request and its JSON read, no crypto: the floor under every contender. */
async function fixedRequest(url: string): Promise<unknown> {
  const body = JSON.stringify({ id: crypto.randomUUID(), ...FIXED_POINT });
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return (await response.json()) as unknown;
}

async function contenders(baseUrl: string, domain: string): Promise<Record<string, RoundTrip>> {
  const ours = createClient({ baseUrls: baseUrl, cache: false });
  const webCrypto = createClient({ baseUrls: baseUrl, cache: false, multiplier: webCryptoMultiplier });
  const document = await ours.getDomain(domain);
  const theirs = new PseudonymisationHelper(officialHttpClient(baseUrl)).createDomain(
    domain,
    Curve.P521,
    document.audience,
    document.bufferSize,
  );
  await ours.pseudonymize(domain, 'first');
  if (ours.multiplierName !== 'noble') throw new Error(`the default multiplier is ${ours.multiplierName}`);
  return {
    default: (v) => ours.pseudonymize(domain, v),
    webCrypto: (v) => webCrypto.pseudonymize(domain, v),
    official: (v) => theirs.valueFactory.fromString(v).pseudonymize(),
    floor: () => fixedRequest(`${baseUrl}/domains/${domain}/pseudonymize`),
  };
}

const page = window as unknown as {
  setUp(baseUrl: string, domain: string): Promise<void>;
  roundTrips(name: string, n: number, tag: string): Promise<number>;
  ready: boolean;
};
let runs: Record<string, RoundTrip> = {};
page.setUp = async (baseUrl, domain) => {
  runs = await contenders(baseUrl, domain);
};
page.roundTrips = async (name, n, tag) => {
  const run = runs[name]!;
  const start = performance.now();
  for (let i = 0; i < n; i++) await run(`${tag}-${i}-${Math.random().toString(36).slice(2, 10)}`);
  return performance.now() - start;
};
page.ready = true;
