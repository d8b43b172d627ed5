/**
 * `blindpseudo init`: a ready-to-serve directory — config file, master key (mode 0600), and demo
 * domains owned by a demo owner whose RSA key pair is written beside them (private key 0600).
 * Authentication is in explicit DEVELOPMENT mode with one generated static token (printed here,
 * warned about at every start) for the principal `demo`, which may call every operation on the
 * demo domains and the admin API. Production configs replace `auth` with jwt and/or mtls.
 *
 * The demo owner's key has a self-signed certificate, published in its JWKS as `x5c` and
 * `x5t#S256` (the certificate's SHA-256 thumbprint) as real eHealth owner JWKS are: the official
 * Java helper finds its key by that thumbprint and refuses a JWKS without it.
 */
import { type KeyObject, createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import forge from 'node-forge';
import { DEFAULT_PORT, generateMasterKeyText, validateConfig } from '@blindpseudo/server';
import { CONFIG_FILE, type CommandContext, DEFAULT_DIR, UsageError, parseOptions } from '../context.js';

export const usage = `blindpseudo init [--dir DIR] [--public-base-url URL] [--port N] [--force]
  Writes DIR/config.json, DIR/master.key (0600) and a demo owner's keys in DIR/demo-owner/.
  Defaults: --dir ${DEFAULT_DIR}, --port ${DEFAULT_PORT}, --public-base-url http://localhost:PORT`;

export const DEMO_OWNER_JKU = 'https://demo-owner.blindpseudo.invalid/jwks.json';
const DEMO = ['group:demo'];
const DEMO_DOMAINS = [
  { key: 'uhmep_v1', description: 'e-prescriptions backend (demo)' },
  { key: 'therlink_v1', description: 'therapeutic links (demo)' },
  { key: 'research_demo_v1', description: 'research project (demo)', timeToLiveInTransit: 'PT1H' },
];

/** A self-signed X.509 certificate (DER) for the demo owner's key, valid for ten years. */
function selfSignedCertificate(privateKey: KeyObject, commonName: string): Buffer {
  const key = forge.pki.privateKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'keyUsage', keyEncipherment: true, dataEncipherment: true }]);
  cert.sign(key, forge.md.sha256.create());
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

interface DemoOwnerKeys {
  readonly publicJwk: object;
  readonly privateJwk: object;
  /** DER */
  readonly certificate: Buffer;
}

/** The demo owner's RSA key pair and self-signed certificate (x5c, x5t#S256: as eHealth owners publish them). */
function demoOwnerKeys(): DemoOwnerKeys {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const kid = randomUUID();
  const certificate = selfSignedCertificate(privateKey, 'blindpseudo demo owner');
  const meta = {
    kid,
    use: 'enc',
    alg: 'RSA-OAEP-256',
    x5c: [certificate.toString('base64')],
    'x5t#S256': createHash('sha256').update(certificate).digest('base64url'),
  };
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), ...meta };
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), ...meta };
  return { publicJwk, privateJwk, certificate };
}

/** Writes the demo owner's JWKS, private JWK (0600) and certificate (PEM). */
async function writeDemoOwner(ownerDir: string, owner: DemoOwnerKeys): Promise<void> {
  await writeFile(join(ownerDir, 'jwks.json'), `${JSON.stringify({ keys: [owner.publicJwk] }, null, 2)}\n`);
  await writeFile(join(ownerDir, 'private-jwk.json'), `${JSON.stringify(owner.privateJwk, null, 2)}\n`, {
    mode: 0o600,
  });
  const base64Lines = owner.certificate
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${base64Lines}\n-----END CERTIFICATE-----\n`;
  await writeFile(join(ownerDir, 'certificate.pem'), certificatePem);
}

export async function init(ctx: CommandContext): Promise<void> {
  const { values } = parseOptions(() =>
    parseArgs({
      args: [...ctx.args],
      options: {
        dir: { type: 'string', default: DEFAULT_DIR },
        'public-base-url': { type: 'string' },
        port: { type: 'string', default: String(DEFAULT_PORT) },
        force: { type: 'boolean', default: false },
      },
    }),
  );
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be an integer 1..65535');
  const dir = resolve(ctx.cwd, values.dir);
  const configFile = join(dir, CONFIG_FILE);
  if (existsSync(configFile) && !values.force) {
    throw new UsageError(`${configFile} exists already (use --force to overwrite it and its master key)`);
  }

  const owner = demoOwnerKeys();
  const demoToken = randomBytes(32).toString('base64url');
  const everything = { pseudonymize: DEMO, identify: DEMO, convertFrom: DEMO, convertTo: DEMO, readSecretKeys: DEMO };
  const config = {
    publicBaseUrl: values['public-base-url'] ?? `http://localhost:${port}`,
    listen: { host: 'localhost', port },
    storage: { kind: 'sqlite', file: 'blindpseudo.db' },
    masterKey: { file: 'master.key' },
    multiplier: 'auto',
    logLevel: 'info',
    auth: {
      mode: 'development',
      development: { staticTokens: [{ token: demoToken, principal: 'demo', groups: ['demo', 'blindpseudo-admin'] }] },
    },
    domains: DEMO_DOMAINS.map((d) => ({
      ...d,
      accessRule: everything,
      bufferSize: 8,
      timeToLiveInTransit: d.timeToLiveInTransit ?? 'PT10M',
      owners: [{ jku: DEMO_OWNER_JKU, jwksFile: 'demo-owner/jwks.json' }],
    })),
  };
  validateConfig(config, dir);

  await mkdir(join(dir, 'demo-owner'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'master.key'), generateMasterKeyText(), { mode: 0o600, flag: 'w' });
  await writeDemoOwner(join(dir, 'demo-owner'), owner);
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  ctx.stdout.write(
    [
      `initialised ${dir}`,
      `  config        ${configFile}`,
      `  master key    ${join(dir, 'master.key')} (keep it secret; without it the database is unreadable)`,
      `  demo owner    ${join(dir, 'demo-owner')} (jku ${DEMO_OWNER_JKU}, private key private-jwk.json, certificate certificate.pem)`,
      `  domains       ${DEMO_DOMAINS.map((d) => d.key).join(', ')}`,
      `  demo token    ${demoToken}`,
      '                (development mode: principal "demo", every operation on the demo domains and the admin API)',
      `next: blindpseudo serve${values.dir === DEFAULT_DIR ? '' : ` --dir ${values.dir}`}`,
      `      curl -H 'Authorization: Bearer ${demoToken}' http://localhost:${port}/pseudo/v1/domains/uhmep_v1`,
      '',
    ].join('\n'),
  );
}
