// Every command-line error code is documented; every coded error of any package is printed as its
// message (exit code 1) and usage errors with the usage text (exit code 2).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { CliErrorCodes } from '../src/index.js';
import { runCli } from './support.js';

it('docs/errors.md lists exactly the command-line error codes', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const section = doc.split('## `blindpseudo` command line')[1]!.split('\n## ')[0]!;
  const documented = new Set([...section.matchAll(/`(ERR_CLI_[A-Z_]+)`/g)].map((m) => m[1]));
  assert.deepEqual(documented, new Set(Object.values(CliErrorCodes)));
});

it('a usage error exits with 2 and the usage text; a service error with 1 and its message only', async () => {
  const cwd = new URL('.', import.meta.url).pathname;
  const usage = await runCli(['nonsense'], { cwd });
  assert.equal(usage.code, 2);
  assert.match(usage.err, /^blindpseudo: unknown command nonsense\n\nusage:/);
  const config = await runCli(['domain', 'list', '--config', '/nonexistent/config.json'], { cwd });
  assert.equal(config.code, 1);
  assert.equal(config.err, 'blindpseudo: config: cannot read /nonexistent/config.json (ENOENT)\n');
});
