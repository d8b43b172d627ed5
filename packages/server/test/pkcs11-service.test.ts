/**
 * The service on the pkcs11 key store with a real SoftHSM2 token: migrate-to-hsm keeps every
 * pseudonym and leaves no key in clear in the database, the data directory, the token directory
 * or the logs; a lost token answers 503 and makes /readyz not ready, then the service recovers by
 * itself, with every answered request audited; two instances share one token, in one process
 * and as `serve --workers 2` processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { bigintToBytes, bigintToMinimalBytes, decodeValueText } from '@blindpseudo/core';
import { readAuditPage } from '../src/audit.js';
import { startCluster } from '../src/cluster.js';
import { migrateToHsm } from '../src/keystore/migrate-to-hsm.js';
import { readProtection } from '../src/keystore/pkcs11-objects.js';
import { type TestService, startTestService } from '../src/testing.js';
import { createSoftHsmToken, skipWithoutSoftHsm, softHsmTokenDir } from '../src/testing-softhsm.js';
import { atRest, call, identify, makeOwner, ownerTransitKeys, pseudonymize, storedSoftwareScalar } from './helpers.js';

const skip = skipWithoutSoftHsm();
const SSINS = ['85073003328', '71020203354', '00010100146'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every encoding of a secret a careless writer might have used. */
function encodings(secret: Buffer): Buffer[] {
  return [
    secret,
    Buffer.from(secret.toString('base64')),
    Buffer.from(secret.toString('base64url')),
    Buffer.from(secret.toString('hex')),
  ];
}

function assertNoSecret(where: string, content: Buffer, secrets: Map<string, Buffer>): void {
  for (const [name, secret] of secrets) {
    for (const form of encodings(secret)) assert.equal(content.includes(form), false, `${where} contains the ${name}`);
  }
}

describe('pkcs11 key store in the service', { skip }, () => {
  it('migrate-to-hsm: the same SSINs give the same pseudonyms; no key in clear remains anywhere', async () => {
    const owner = await makeOwner('migrate');
    const domains = [{ key: 'mig_v1', owners: [owner.owner] }];
    const soft = await startTestService({ domains, keyStore: 'software' });
    const before = [];
    for (const ssin of SSINS)
      before.push((await atRest(soft, 'mig_v1', owner.privateKey, await pseudonymize(soft, 'mig_v1', ssin))).x);
    const earlier = await pseudonymize(soft, 'mig_v1', SSINS[0]!);
    const [transitKey] = [...(await ownerTransitKeys(soft, 'mig_v1', owner.privateKey)).values()];
    await soft.close();
    const dataDir = soft.dataDir;
    const k = await storedSoftwareScalar(dataDir, 'mig_v1');
    const masterKey = Buffer.from(readFileSync(join(dataDir, 'master.key'), 'utf8').trim(), 'base64');

    const token = createSoftHsmToken();
    const pinFile = join(dataDir, 'token.pin');
    writeFileSync(pinFile, token.pin, { mode: 0o600 });
    const keyStore = {
      kind: 'pkcs11' as const,
      module: token.module,
      tokenLabel: token.label,
      pin: { file: pinFile },
      sessions: 4,
      masterKeyLabel: 'blindpseudo-master-key',
    };
    const storage = { kind: 'sqlite' as const, file: join(dataDir, 'blindpseudo.db'), postgres: undefined };
    await assert.rejects(
      startTestService({ domains, dataDir, keyStore: 'pkcs11', token }),
      /config\.keyStore: this database's keys are software keys: .*migrate-to-hsm/,
    );
    const summary = await migrateToHsm({ storage, masterKey: { file: join(dataDir, 'master.key') }, keyStore }, {});
    assert.deepEqual(summary, { domains: ['mig_v1'], transitKeys: 1, serviceKeys: 1 });
    await assert.rejects(
      migrateToHsm({ storage, masterKey: { file: join(dataDir, 'master.key') }, keyStore }, {}),
      /in the token already/,
    );
    await assert.rejects(
      startTestService({ domains, dataDir, keyStore: 'software' }),
      /config\.keyStore: the keys of this database are in a PKCS#11 token/,
    );
    rmSync(join(dataDir, 'master.key')); // as the command advises

    const logs = new PassThrough();
    const logged: Buffer[] = [];
    logs.on('data', (chunk: Buffer) => logged.push(chunk));
    const hsm = await startTestService({ domains, dataDir, keyStore: 'pkcs11', token, logStream: logs });
    try {
      for (const [i, ssin] of SSINS.entries()) {
        const again = await atRest(hsm, 'mig_v1', owner.privateKey, await pseudonymize(hsm, 'mig_v1', ssin));
        assert.equal(again.x, before[i], `same pseudonym at rest for SSIN #${i}`);
      }
      assert.equal(
        decodeValueText(await identify(hsm, 'mig_v1', earlier)),
        SSINS[0],
        'a transit made before the move identifies',
      );
      assert.equal((await call(`${hsm.origin}/readyz`)).status, 200);
      const objects = readProtection(hsm.app.keystore.token!, 'blindpseudo-master-key');
      assert.deepEqual(objects.map((o) => o.label).sort(), [
        'blindpseudo-master-key',
        'bp:mig_v1:k',
        'bp:mig_v1:k-inverse',
      ]);
      for (const o of objects) assert.deepEqual([o.sensitive, o.extractable], [true, false], o.label);
    } finally {
      await hsm.close();
    }

    const secrets = new Map<string, Buffer>([
      ['domain scalar', Buffer.from(bigintToBytes(k, 66))],
      ['domain scalar (minimal)', Buffer.from(bigintToMinimalBytes(k))],
      ['transit key', Buffer.from(transitKey!)],
      ['master key', masterKey],
    ]);
    const files = [...filesUnder(dataDir), ...filesUnder(dirname(softHsmTokenDir()))];
    assert.ok(files.some((f) => f.endsWith('blindpseudo.db')));
    for (const file of files) assertNoSecret(file, readFileSync(file), secrets);
    assertNoSecret('the logs', Buffer.concat(logged), secrets);
    assert.ok(Buffer.concat(logged).includes('"keyStore":"pkcs11"'), 'the logs were captured');
  });

  it('token lost: 503 problems and not ready; back: ready again by itself; every answer audited', async () => {
    const svc = await startTestService({ domains: [{ key: 'lost_v1' }], keyStore: 'pkcs11' });
    const tokens = softHsmTokenDir();
    let moved = false;
    try {
      assert.equal((await pseudonymize(svc, 'lost_v1', SSINS[0]!)).answer.status, 200);
      renameSync(tokens, `${tokens}.away`);
      moved = true;
      await assert.rejects(pseudonymize(svc, 'lost_v1', SSINS[1]!), /pseudonymize: 503 .*serviceUnavailable/);
      const ready = await call(`${svc.origin}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.type, 'urn:problem-type:belgif:serviceUnavailable');
      await assert.rejects(pseudonymize(svc, 'lost_v1', SSINS[1]!), /503/);

      renameSync(`${tokens}.away`, tokens);
      moved = false;
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 200));
        status = (await call(`${svc.origin}/readyz`)).status;
      }
      assert.equal(status, 200, 'ready again');
      assert.equal((await pseudonymize(svc, 'lost_v1', SSINS[2]!)).answer.status, 200);

      const audited = (await readAuditPage(svc.app.storage, 'main', 0, 1000)).filter(
        (r) => r.operation === 'pseudonymize',
      );
      assert.deepEqual(
        audited.map((r) => r.status),
        [200, 503, 503, 200],
        'answered = audited',
      );
    } finally {
      if (moved) renameSync(`${tokens}.away`, tokens);
      await svc.close();
    }
  });

  it('two instances share one token and one database: the same pseudonyms; one closing leaves the other working', async () => {
    const owner = await makeOwner('shared');
    const domains = [{ key: 'shared_v1', owners: [owner.owner] }];
    const token = createSoftHsmToken();
    const first = await startTestService({ domains, keyStore: 'pkcs11', token });
    const second = await startTestService({ domains, keyStore: 'pkcs11', token, dataDir: first.dataDir, port: 0 });
    try {
      const a = await atRest(first, 'shared_v1', owner.privateKey, await pseudonymize(first, 'shared_v1', SSINS[0]!));
      const b = await atRest(second, 'shared_v1', owner.privateKey, await pseudonymize(second, 'shared_v1', SSINS[0]!));
      assert.equal(a.x, b.x);
      await first.close();
      const c = await atRest(second, 'shared_v1', owner.privateKey, await pseudonymize(second, 'shared_v1', SSINS[0]!));
      assert.equal(c.x, a.x);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('serve --workers 2: separate processes on one token give the same pseudonyms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blindpseudo-hsm-workers-'));
    const token = createSoftHsmToken();
    writeFileSync(join(dir, 'token.pin'), token.pin, { mode: 0o600 });
    const owner = await makeOwner('workers');
    const keyStore = { kind: 'pkcs11', module: token.module, tokenLabel: token.label, pin: { file: 'token.pin' } };
    const config = {
      listen: { host: '127.0.0.1', port: 0 },
      storage: { file: 'service.db' },
      keyStore,
      logLevel: 'warn',
      auth: { mode: 'development', development: { unauthenticatedPrincipal: { principal: 'worker-test' } } },
      domains: [{ key: 'hsmw_v1', owners: [owner.owner], accessRule: { pseudonymize: ['*'], readSecretKeys: ['*'] } }],
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const running = await startCluster({
      configFile: join(dir, 'config.json'),
      cwd: dir,
      overrides: {},
      workers: 2,
      env: {},
      log: () => undefined,
      handleSignals: false,
    });
    try {
      const service = { baseUrl: `${running.address}/pseudo/v1` } as TestService;
      const xs = await Promise.all(
        Array.from(
          { length: 12 },
          async () =>
            (await atRest(service, 'hsmw_v1', owner.privateKey, await pseudonymize(service, 'hsmw_v1', SSINS[0]!))).x,
        ),
      );
      assert.equal(new Set(xs).size, 1, 'one pseudonym at rest, whichever worker answered');
      assert.equal(running.pids().length, 2);
    } finally {
      await running.close();
    }
  });
});
