/**
 * `blindpseudo keys migrate-to-hsm` on a real SoftHSM2 token: the demo service's keys move into
 * the token once, the commands then work on the token, the PIN is never a command-line option,
 * and a wrong PIN or module stops the commands naming the setting.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSoftHsmToken, skipWithoutSoftHsm } from '@blindpseudo/server/testing';
import { runCli } from './support.ts';

const skip = skipWithoutSoftHsm();

describe('blindpseudo keys migrate-to-hsm', { skip }, () => {
  it('moves the keys into the token once; the PIN comes from the environment only', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'blindpseudo-cli-hsm-'));
    const token = createSoftHsmToken();
    const env = { BLINDPSEUDO_PKCS11_PIN: token.pin };
    const run = (...argv: string[]) => runCli(argv, { cwd, env });
    assert.equal((await run('init')).code, 0);
    assert.equal((await run('domain', 'list')).code, 0, 'the database made with software keys');
    const configFile = join(cwd, '.data/config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    const keyStore = { kind: 'pkcs11', module: token.module, tokenLabel: token.label };
    writeFileSync(configFile, JSON.stringify({ ...config, keyStore }));

    const before = await run('domain', 'list');
    assert.equal(before.code, 1);
    assert.match(before.err, /config\.keyStore: this database's keys are software keys: .*migrate-to-hsm/);
    assert.equal((await run('keys', 'migrate-to-hsm', '--pin', token.pin)).code, 2, 'no PIN option');

    const moved = await run('keys', 'migrate-to-hsm');
    assert.equal(moved.code, 0, moved.err);
    assert.match(
      moved.out,
      /3 domain scalars \(research_demo_v1, therlink_v1, uhmep_v1\), 3 transit keys, 1 service key/,
    );
    assert.doesNotMatch(moved.out + moved.err, new RegExp(token.pin));
    const list = await run('domain', 'list');
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /uhmep_v1/);
    const again = await run('keys', 'migrate-to-hsm');
    assert.equal(again.code, 1);
    assert.match(again.err, /in the token already/);

    const wrongPin = await runCli(['domain', 'list'], { cwd, env: { BLINDPSEUDO_PKCS11_PIN: 'not-the-pin' } });
    assert.equal(wrongPin.code, 1);
    assert.match(wrongPin.err, /config\.keyStore\.pin: the token .* refused the PIN/);
    writeFileSync(configFile, JSON.stringify({ ...config, keyStore: { ...keyStore, module: '/nonexistent/lib.so' } }));
    const noModule = await run('serve', '--port', '0');
    assert.equal(noModule.code, 1);
    assert.match(noModule.err, /config\.keyStore\.module: cannot load \/nonexistent\/lib\.so/);
  });
});
