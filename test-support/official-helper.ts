/**
 * The official eHealth client, `@smals-belgium-shared/pseudo-helper` (npm, unmodified), for
 * interop tests and benchmarks.
 *
 * Its ESM build imports the CommonJS `elliptic` as a namespace, which plain Node cannot resolve
 * (`elliptic.ec is not a constructor`), so it is bundled with esbuild into a temporary file once
 * per process. The integrator's side of its `PseudonymisationClient` interface is
 * official-http-client.ts (no Node imports: the browser bench bundles it too).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type * as OfficialHelper from '@smals-belgium-shared/pseudo-helper';
import { officialHttpClient } from './official-http-client.ts';

export { OfficialClientHttpError, officialHttpClient } from './official-http-client.ts';

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
