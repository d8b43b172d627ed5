/**
 * The official eHealth client, `@smals-belgium-shared/pseudo-helper` (npm, unmodified), for
 * interop tests and benchmarks.
 *
 * Its ESM build imports the CommonJS `elliptic` as a namespace, which plain Node cannot resolve
 * (`elliptic.ec is not a constructor`), so it is bundled with esbuild into a temporary file once
 * per process. The integrator's side of its `PseudonymisationClient` interface (payload in as a
 * JSON string, raw response text out) is implemented here over `fetch`; like every real
 * integration it rejects non-2xx answers, since the helper itself cannot tell a problem apart.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type * as OfficialHelper from '@smals-belgium-shared/pseudo-helper';

let loaded: Promise<typeof OfficialHelper> | undefined;

/** Bundles and imports the official helper (once per process). */
export function loadOfficialHelper(): Promise<typeof OfficialHelper> {
  loaded ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@smals-belgium-shared/pseudo-helper');
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const file = join(mkdtempSync(join(tmpdir(), 'pseudo-helper-')), 'pseudo-helper.bundle.mjs');
    writeFileSync(file, result.outputFiles[0]!.contents);
    return (await import(pathToFileURL(file).href)) as typeof OfficialHelper;
  })();
  return loaded;
}

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
export function officialHttpClient(baseUrl: string): OfficialHelper.PseudonymisationClient {
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

/** A helper `Domain` for `domainKey`, built the way integrators do: from the domain document. */
export async function officialDomain(baseUrl: string, domainKey: string): Promise<OfficialHelper.Domain> {
  const { PseudonymisationHelper, Curve } = await loadOfficialHelper();
  const client = officialHttpClient(baseUrl);
  const document = JSON.parse(await client.getDomain(domainKey)) as {
    domain: string;
    audience: string;
    bufferSize: number;
  };
  return new PseudonymisationHelper(client).createDomain(
    document.domain,
    Curve.P521,
    document.audience,
    document.bufferSize,
  );
}
