/**
 * Support for the research command tests: an institute (owner of the research domains) whose key
 * exists in every form owners hold it (made with openssl), the real service, synthetic SSINs, and
 * messy source files as a data manager gets them.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildJwks, loadOwnerKey } from '@blindpseudo/owner';
import { type TestService, startTestService } from '@blindpseudo/server/testing';
import { type CliRun, runCli } from './support.ts';

export const RESEARCH = 'research_v1';
export const OTHER = 'other_research_v1';
export const JKU = 'https://institute.example.org/jwks.json';
export const KID = 'institute-1';
export const PASSWORD = 'p12 secret';

/** The i-th synthetic SSIN (born 1930–1999, valid mod-97 checksum). */
export function syntheticSsin(i: number): string {
  const body = `${String(30 + (i % 70)).padStart(2, '0')}${String(1 + (Math.floor(i / 70) % 12)).padStart(2, '0')}${String(1 + (Math.floor(i / 840) % 28)).padStart(2, '0')}${String(1 + (Math.floor(i / 23520) % 997)).padStart(3, '0')}`;
  return `${body}${String(97 - (Number(body) % 97)).padStart(2, '0')}`;
}

/** An SSIN as people type it: `85.07.30-033.28`. */
export function dotted(ssin: string): string {
  return `${ssin.slice(0, 2)}.${ssin.slice(2, 4)}.${ssin.slice(4, 6)}-${ssin.slice(6, 9)}.${ssin.slice(9)}`;
}

export interface Institute {
  readonly dir: string;
  readonly service: TestService;
  /** File names (in dir) of the institute's key in each form. */
  readonly keys: {
    jwk: string;
    pkcs8: string;
    pkcs1: string;
    bundle: string;
    p12: string;
    passwordFile: string;
    ec: string;
    stranger: string;
  };
  run(argv: readonly string[]): Promise<CliRun>;
  close(): Promise<void>;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A temporary directory with the institute's keys, and the service with two research domains it owns. */
export async function startInstitute(): Promise<Institute> {
  const dir = await mkdtemp(join(tmpdir(), 'blindpseudo-research-'));
  const subj = ['-subj', '/CN=institute.test', '-days', '2'];
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', ...subj);
  openssl(dir, 'rsa', '-in', 'key.pem', '-traditional', '-out', 'key-pkcs1.pem');
  const p12 = ['-export', '-inkey', 'key.pem', '-in', 'cert.pem', '-passout', `pass:${PASSWORD}`, '-out', 'key.p12'];
  openssl(dir, 'pkcs12', ...p12);
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.pem');
  openssl(dir, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'stranger.pem');
  const pkcs8 = await readFile(join(dir, 'key.pem'), 'utf8');
  await writeFile(join(dir, 'bundle.pem'), pkcs8 + (await readFile(join(dir, 'cert.pem'), 'utf8')));
  const jwk = { ...createPrivateKey(pkcs8).export({ format: 'jwk' }), kid: KID, use: 'enc', alg: 'RSA-OAEP-256' };
  await writeFile(join(dir, 'private-jwk.json'), JSON.stringify(jwk));
  await writeFile(join(dir, 'p12-password'), `${PASSWORD}\n`);
  const jwks = buildJwks([await loadOwnerKey({ privateKey: pkcs8, kid: KID })]);
  const owners = [{ jku: JKU, jwks }];
  const service = await startTestService({
    domains: [
      { key: RESEARCH, timeToLiveInTransit: 'PT2H', owners },
      { key: OTHER, timeToLiveInTransit: 'PT2H', owners },
    ],
  });
  return {
    dir,
    service,
    keys: {
      jwk: 'private-jwk.json',
      pkcs8: 'key.pem',
      pkcs1: 'key-pkcs1.pem',
      bundle: 'bundle.pem',
      p12: 'key.p12',
      passwordFile: 'p12-password',
      ec: 'ec.pem',
      stranger: 'stranger.pem',
    },
    run: (argv) => runCli(argv, { cwd: dir }),
    close: () => service.close(),
  };
}

export interface MessySource {
  /** The file's text. */
  readonly text: string;
  /** The people (synthetic SSIN indexes) with a valid row. */
  readonly people: readonly number[];
  /** Rows that must be rejected. */
  readonly bad: number;
}

/**
 * A source as exported by hand or by Excel: BOM, CRLF, dotted SSINs, quoted delimiters and line
 * breaks, an empty SSIN and a wrong checksum among the rows; people `from` to `to` (exclusive).
 */
export function messySource(delimiter: ',' | ';', from: number, to: number, column = 'patient_ssin'): MessySource {
  const d = delimiter;
  const lines = [`\uFEFF${column}${d}visit${d}note`];
  const people: number[] = [];
  for (let i = from; i < to; i++) {
    const ssin = syntheticSsin(i);
    const id = i % 3 === 0 ? dotted(ssin) : ssin;
    const note = i % 4 === 0 ? `"line one\r\nline two${d} with ""quotes"""` : `"plain${d} note ${i}"`;
    lines.push(`${id}${d}v${i}${d}${note}`);
    people.push(i);
  }
  lines.push(`${d}vEmpty${d}no SSIN`, `85073003329${d}vBad${d}wrong checksum`);
  return { text: `${lines.join('\r\n')}\r\n`, people, bad: 2 };
}

/** The common options of a join by the institute, with the key as `keyFile`. */
export function joinArgs(institute: Institute, keyFile: string, out: string, ...sources: string[]): string[] {
  return [
    'research',
    'join',
    '--service',
    institute.service.baseUrl,
    '--domain',
    RESEARCH,
    '--jku',
    JKU,
    '--owner-key',
    keyFile,
    '--key',
    'patient_ssin',
    '--out',
    out,
    ...sources.flatMap((s) => ['--source', s]),
  ];
}

/** `research pseudonymise` of `input` into `output` for `domain`. */
export function pseudonymiseArgs(
  institute: Institute,
  input: string,
  output: string,
  service = institute.service.baseUrl,
): string[] {
  return [
    'research',
    'pseudonymise',
    '--service',
    service,
    '--domain',
    RESEARCH,
    '--id',
    'patient_ssin',
    '--in',
    input,
    '--out',
    output,
  ];
}
