/**
 * Mutual TLS: a CA and client certificates made with the openssl CLI in a temporary directory;
 * a certificate of the trusted CA is a principal (its CN, its OUs as groups), one of another CA
 * is refused, a revoked certificate is refused at its next request, and bearer tokens still work.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';
import type { FastifyInstance } from 'fastify';
import { Administration } from '../src/administration.js';
import { buildApp } from '../src/app.js';
import { validateConfig } from '../src/config.js';
import { generateMasterKeyText } from '../src/master-key.js';

const openssl = (dir: string, ...args: string[]): void => {
  execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'ignore' });
};

function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
  );
}

function issue(dir: string, ca: string, name: string, subject: string, ext = ''): void {
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  const args = [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    `${name}.crt`,
  ];
  openssl(dir, ...args, ...(ext === '' ? [] : ['-extfile', ext]));
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('mutual TLS', () => {
  let dir: string;
  let app: FastifyInstance;
  let origin: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blindpseudo-mtls-'));
    makeCa(dir, 'ca');
    makeCa(dir, 'rogue');
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    issue(dir, 'ca', 'server', '/CN=127.0.0.1', 'server.ext');
    issue(dir, 'ca', 'pharmacy', '/O=Pharmacy/OU=pharmacists/CN=pharmacy-42');
    issue(dir, 'ca', 'lab', '/CN=lab-7');
    issue(dir, 'rogue', 'intruder', '/OU=pharmacists/CN=pharmacy-42');
    const config = validateConfig(
      {
        publicBaseUrl: 'https://127.0.0.1:0',
        listen: { host: '127.0.0.1', port: 0 },
        logLevel: 'silent',
        tls: { certFile: 'server.crt', keyFile: 'server.key' },
        auth: { mtls: { caFile: 'ca.crt' } },
        domains: [{ key: 'tls_v1', accessRule: { pseudonymize: ['group:pharmacists'] } }],
      },
      dir,
    );
    app = await buildApp(config, { env: { BLINDPSEUDO_MASTER_KEY: generateMasterKeyText().trim() } });
    origin = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => app?.close());

  const call = async (client: string | undefined): Promise<Answer> => {
    const b = await blind(encodeValue('85073003328'));
    const payload = JSON.stringify({ crv: 'P-521', ...pointToJson(b.point) });
    return new Promise((resolve, reject) => {
      const req = request(
        `${origin}/pseudo/v1/domains/tls_v1/pseudonymize`,
        {
          method: 'POST',
          ca: readFileSync(join(dir, 'ca.crt')),
          ...(client === undefined
            ? {}
            : { cert: readFileSync(join(dir, `${client}.crt`)), key: readFileSync(join(dir, `${client}.key`)) }),
          headers: { 'content-type': 'application/json' },
          agent: false,
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };

  it('a certificate of the trusted CA is a principal with its OUs as groups', async () => {
    const ok = await call('pharmacy');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const other = await call('lab');
    assert.equal(other.status, 403);
    assert.equal(other.body.type, 'urn:problem-type:belgif:missingPermission');
  });

  it('no certificate is 401 noAccessToken; one of another CA is 401 invalidAccessToken', async () => {
    const none = await call(undefined);
    assert.equal(none.status, 401);
    assert.equal(none.body.type, 'urn:problem-type:belgif:noAccessToken');
    const rogue = await call('intruder');
    assert.equal(rogue.status, 401);
    assert.equal(rogue.body.type, 'urn:problem-type:belgif:invalidAccessToken');
  });

  it('a revoked certificate is refused at its next request', async () => {
    assert.equal((await call('pharmacy')).status, 200);
    const fingerprint = new X509Certificate(readFileSync(join(dir, 'pharmacy.crt'))).fingerprint256;
    const admin = new Administration(app.storage);
    assert.equal(await admin.revokeCertificate(fingerprint), true);
    const refused = await call('pharmacy');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.detail, 'the client certificate is revoked');
  });
});
