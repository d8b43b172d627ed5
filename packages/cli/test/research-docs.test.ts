/** The README's research section tells a new user what the trial found missing (issue 16, item 8). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { usage } from '../src/commands/research.ts';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('## Research jobs'),
  readme.indexOf('\n## ', readme.indexOf('## Research jobs') + 5),
);

test('the README research section: transit validity, the local --service URL, --owner-scalar, sizes, formats', () => {
  assert.ok(section.length > 1000, 'there is a research section');
  assert.match(section, /timeToLiveInTransit/);
  assert.match(section, /expired/);
  assert.match(section, /--service URL of a local service: .*\/pseudo\/v1/);
  assert.match(section, /SERVICE=http:\/\/localhost:8080\/pseudo\/v1/);
  assert.match(section, /--owner-scalar FILE/);
  assert.match(section, /15×/);
  assert.match(section, /\.gz/);
  assert.match(section, /--format ndjson\|csv\|parquet/);
  // The walk-through uses the files init writes.
  assert.match(section, /npx blindpseudo init --dir research-demo/);
  assert.match(section, /--owner-key research-demo\/demo-owner\/private-jwk\.json/);
});

test('every research option the README names is one the command knows', () => {
  for (const [flag] of section.matchAll(/--[a-z][a-z-]+/g)) {
    if (['--dir', '--port'].includes(flag)) continue; // init's
    assert.ok(usage.includes(flag), `${flag} is in the usage text`);
  }
});
