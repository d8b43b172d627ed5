/** The blindpseudo command: init, a bad config named by its path, domain commands, serve. */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CliRun, runCli } from './support.ts';

const run = (cwd: string, ...argv: string[]): Promise<CliRun> => runCli(argv, { cwd });

const mode = (file: string): number => statSync(file).mode & 0o777;

describe('blindpseudo', () => {
  it('init writes the config, a 0600 master key and a demo owner; refuses to overwrite', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-cli-'));
    const { code, out } = await run(cwd, 'init');
    assert.equal(code, 0);
    assert.match(out, /initialised/);
    assert.equal(mode(join(cwd, '.data/master.key')), 0o600);
    assert.equal(mode(join(cwd, '.data/demo-owner/private-jwk.json')), 0o600);
    const config = JSON.parse(readFileSync(join(cwd, '.data/config.json'), 'utf8'));
    assert.deepEqual(
      config.domains.map((d: { key: string }) => d.key),
      ['uhmep_v1', 'therlink_v1', 'research_demo_v1'],
    );
    assert.equal(config.publicBaseUrl, 'http://localhost:8080');
    assert.equal(config.listen.port, 8080);
    const jwks = JSON.parse(readFileSync(join(cwd, '.data/demo-owner/jwks.json'), 'utf8'));
    assert.equal(jwks.keys[0].d, undefined, 'the published JWKS is public');
    assert.equal((await run(cwd, 'init')).code, 2);
  });

  it('a bad config stops with a message naming the exact path', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-cli-'));
    await run(cwd, 'init', '--dir', 'svc');
    const file = join(cwd, 'svc/config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    config.domains[1].bufferSize = 99;
    writeFileSync(file, JSON.stringify(config));
    for (const command of [
      ['serve', '--dir', 'svc'],
      ['domain', 'list', '--dir', 'svc'],
    ]) {
      const { code, err } = await run(cwd, ...command);
      assert.equal(code, 1);
      assert.match(err, /config\.domains\[1\]\.bufferSize: must be an integer 1\.\.32/);
    }
    writeFileSync(file, '{ not json');
    assert.match((await run(cwd, 'serve', '--config', 'svc/config.json')).err, /is not valid JSON/);
  });

  it('domain create, list, show and rotate-transit-key', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-cli-'));
    await run(cwd, 'init');
    const created = await run(
      cwd,
      'domain',
      'create',
      'extra_v1',
      '--description',
      'an extra domain',
      '--ttl',
      'PT5M',
      '--owner',
      'https://owner.example.org/jwks.json',
      '--owner-jwks-file',
      '.data/demo-owner/jwks.json',
    );
    assert.equal(created.code, 0, created.err);
    assert.match(
      created.out,
      /created domain extra_v1 \(audience http:\/\/localhost:8080\/pseudo\/v1\/domains\/extra_v1\)/,
    );
    assert.equal((await run(cwd, 'domain', 'create', 'extra_v1')).code, 2, 'exists already');

    const list = await run(cwd, 'domain', 'list');
    assert.equal(list.code, 0);
    assert.match(list.out, /^extra_v1\s+8\s+PT5M\s+1\s+1\s+an extra domain$/m);
    assert.match(list.out, /^uhmep_v1\s/m);

    const before = JSON.parse((await run(cwd, 'domain', 'show', 'extra_v1')).out);
    assert.equal(before.desc, 'an extra domain');
    assert.deepEqual(before.jku, ['https://owner.example.org/jwks.json']);
    assert.equal(before.transitKeys.length, 1);

    const rotated = await run(cwd, 'domain', 'rotate-transit-key', 'extra_v1');
    assert.equal(rotated.code, 0);
    const kid = /new active transit key (\S+)/.exec(rotated.out)![1];
    const after = JSON.parse((await run(cwd, 'domain', 'show', 'extra_v1')).out);
    assert.equal(after.transitKeys.length, 2);
    assert.deepEqual(after.transitKeys.find((k: { active: boolean }) => k.active).kid, kid);
    assert.ok(after.transitKeys.find((k: { active: boolean }) => !k.active).deactivatedAt);

    const unknown = await run(cwd, 'domain', 'show', 'nope_v1');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /domain nope_v1 does not exist/);
    assert.equal((await run(cwd, 'domain', 'frobnicate')).code, 2);
    assert.equal((await run(cwd, 'domain', 'list', '--bogus')).code, 2);
    assert.equal((await run(cwd, 'domain', 'create', 'bad_v1', '--buffer-size', '0')).code, 1);
  });

  it('a wrong master key fails clearly', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-cli-'));
    await run(cwd, 'init');
    assert.equal((await run(cwd, 'domain', 'list')).code, 0);
    writeFileSync(join(cwd, '.data/master.key'), `${Buffer.alloc(32, 1).toString('base64')}\n`, { mode: 0o600 });
    const { code, err } = await run(cwd, 'domain', 'list');
    assert.equal(code, 1);
    assert.match(err, /master key does not match this database/);
  });

  it('serve answers until SIGTERM, then exits 0', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-cli-'));
    const token = /demo token\s+(\S+)/.exec((await run(cwd, 'init')).out)![1];
    const configFile = join(cwd, '.data/config.json');
    writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), logLevel: 'warn' }));
    let err = '';
    let announce: (address: string) => void;
    const listening = new Promise<string>((resolve) => (announce = resolve));
    const serving = runCli(['serve', '--port', '0'], {
      cwd,
      onStderr: (all) => {
        err = all;
        const m = /serving on (\S+)/.exec(all);
        if (m) announce(m[1]!);
      },
    });
    const address = await Promise.race([listening, serving.then(() => assert.fail(err))]);
    assert.equal((await fetch(`${address}/pseudo/v1/domains/uhmep_v1`)).status, 401, 'authentication is required');
    const headers = { authorization: `Bearer ${token}` };
    const doc = await (await fetch(`${address}/pseudo/v1/domains/uhmep_v1`, { headers })).json();
    assert.equal(doc.domain, 'uhmep_v1');
    assert.equal(doc.secretKeys.length, 1, 'the demo principal owns the demo domains');
    process.kill(process.pid, 'SIGTERM');
    assert.equal((await serving).code, 0);
  });
});
