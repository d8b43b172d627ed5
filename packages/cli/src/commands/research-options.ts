/**
 * What the research commands share: option checks, the owner set up from its key file (any form
 * owners hold: JWK, PKCS#8, PKCS#1, key+certificate PEM, PKCS#12), running a job with progress and
 * Ctrl-C, and the checks on what a job produced (nothing → exit 1; many rejects → a warning).
 */
import { constants } from 'node:fs';
import { access, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createClient, isClientError } from '@blindpseudo/client';
import { Owner, OwnerErrorCodes, isOwnerError, loadOwnerKey } from '@blindpseudo/owner';
import {
  type JobProgress,
  MULTIPLIER_CHOICES,
  type MultiplierChoice,
  ProgressReporter,
  type ProgressStream,
  ResearchError,
  ResearchErrorCodes,
  chooseMultiplier,
  inferOwnerKid,
  isResearchError,
} from '@blindpseudo/research';
import { nodeAesGcm } from '@blindpseudo/server';
import { type CommandContext, UsageError } from '../context.js';

export const OWNER_OPTIONS = {
  jku: { type: 'string' },
  'owner-key': { type: 'string' },
  'owner-key-password-file': { type: 'string' },
  'owner-key-alias': { type: 'string' },
  'owner-kid': { type: 'string' },
  'owner-scalar': { type: 'string' },
} as const;

export type OwnerValues = {
  jku?: string | undefined;
  'owner-key'?: string | undefined;
  'owner-key-password-file'?: string | undefined;
  'owner-key-alias'?: string | undefined;
  'owner-kid'?: string | undefined;
  'owner-scalar'?: string | undefined;
  multiplier?: string | undefined;
};

export function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}

/** A percentage 0..100 (default `fallback`). */
export function percentage(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/%$/, ''));
  if (!(n >= 0 && n <= 100)) throw new UsageError(`--${name} must be a percentage from 0 to 100`);
  return n;
}

export function delimiterOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const d = value === '\\t' || value === 'tab' ? '\t' : value;
  if (d.length !== 1 || d.charCodeAt(0) > 0x7f || d === '"' || d === '\r' || d === '\n')
    throw new UsageError('--delimiter must be one ASCII character (or tab) other than a quote or a line break');
  return d;
}

export function multiplier(value: string | undefined): MultiplierChoice | undefined {
  if (value === undefined) return undefined;
  if (!(MULTIPLIER_CHOICES as readonly string[]).includes(value))
    throw new UsageError(`--multiplier must be one of ${MULTIPLIER_CHOICES.join(', ')}`);
  return value as MultiplierChoice;
}

/** A file the command must read: a clean message (exit 1), not a stack trace, when it cannot. */
export async function readable(path: string, what: string): Promise<string> {
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ResearchError(ResearchErrorCodes.INVALID_INPUT, `${what} ${path} cannot be read (${code})`);
  }
  return path;
}

export function services(values: { service: string[] }): string[] {
  if (values.service.length === 0)
    throw new UsageError('--service is required (the base URL, e.g. http://localhost:8080/pseudo/v1)');
  return values.service;
}

export function progressInterval(value: string | undefined): number | undefined {
  const seconds = value === undefined ? undefined : Number(value);
  if (seconds !== undefined && !(seconds > 0 && Number.isFinite(seconds)))
    throw new UsageError('--progress-interval must be a positive number');
  return seconds;
}

const RESUMABLE =
  'what was committed is kept: run the same command again to resume once the service is back (--restart to start over)';

/** Runs a job with progress on stderr and Ctrl-C as an interruption at the last checkpoint. */
export async function withProgress<T>(
  ctx: CommandContext,
  seconds: number | undefined,
  run: (signal: AbortSignal, onProgress: (p: JobProgress) => void) => Promise<T>,
): Promise<{ result: T; reporter: ProgressReporter }> {
  const reporter = new ProgressReporter({
    stream: ctx.stderr as ProgressStream,
    ...(seconds === undefined ? {} : { intervalSeconds: seconds }),
  });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await run(controller.signal, (p) => reporter.update(p));
    return { result, reporter };
  } catch (err) {
    // The error message starts on its own line, not after the bar.
    reporter.stop();
    if (isResearchError(err, ResearchErrorCodes.ABORTED)) {
      throw new ResearchError(
        ResearchErrorCodes.ABORTED,
        'interrupted: what was committed is kept; run the same command again to resume (--restart to start over)',
      );
    }
    if (isResearchError(err, ResearchErrorCodes.SERVICE_FAILED) || isClientError(err)) {
      throw new ResearchError(ResearchErrorCodes.SERVICE_FAILED, `${(err as Error).message}; ${RESUMABLE}`, {
        cause: err,
      });
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

/** The owner key file's password: `--owner-key-password-file`, else BLINDPSEUDO_OWNER_KEY_PASSWORD. */
async function ownerKeyPassword(ctx: CommandContext, file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return ctx.env['BLINDPSEUDO_OWNER_KEY_PASSWORD'];
  const text = await readFile(await readable(resolve(ctx.cwd, file), 'the owner key password file'), 'utf8');
  return text.replace(/\r?\n$/, '');
}

/** Owner and client set-up failures are reported as service failures (no stack trace). */
export async function createOwner(
  ctx: CommandContext,
  values: OwnerValues,
  baseUrls: string[],
  domain: string,
): Promise<Owner> {
  const jku = required(values.jku, 'jku');
  const keyFile = await readable(resolve(ctx.cwd, required(values['owner-key'], 'owner-key')), 'the owner key');
  const keyInput = {
    privateKey: new Uint8Array(await readFile(keyFile)),
    ...(values['owner-key-alias'] === undefined ? {} : { alias: values['owner-key-alias'] }),
  };
  const password = await ownerKeyPassword(ctx, values['owner-key-password-file']);
  const token = ctx.env['BLINDPSEUDO_TOKEN'];
  const client = createClient({ baseUrls, ...(token === undefined ? {} : { token: () => token }) });
  const ownerScalar =
    values['owner-scalar'] === undefined
      ? undefined
      : await readFile(await readable(resolve(ctx.cwd, values['owner-scalar']), 'the owner scalar'), 'utf8');
  try {
    const key = await loadOwnerKey({ ...keyInput, ...(password === undefined ? {} : { password }) });
    const kid = values['owner-kid'] ?? (await inferOwnerKid(await client.getDomain(domain), jku, key));
    return await Owner.create({
      client,
      jku,
      multiplier: chooseMultiplier(multiplier(values.multiplier) ?? 'auto'),
      aesGcm: nodeAesGcm,
      ...(ownerScalar === undefined ? {} : { ownerScalar }),
      keys: [{ ...keyInput, ...(password === undefined ? {} : { password }), kid }],
    });
  } catch (err) {
    // A key file that is not a usable key (the messages name no key material).
    if (isOwnerError(err, OwnerErrorCodes.INVALID_OWNER_KEY)) {
      throw new ResearchError(
        ResearchErrorCodes.INVALID_INPUT,
        `the owner key ${keyFile} ${err.message.replace(/^owner key /, '')}`,
      );
    }
    if (isOwnerError(err) || isClientError(err)) {
      throw new ResearchError(ResearchErrorCodes.SERVICE_FAILED, `the owner could not be set up: ${err.message}`);
    }
    throw err;
  }
}

/** Stops with exit 1 (outputs removed) when nothing was produced; warns when many rows were rejected. */
export async function checkOutcome(
  ctx: CommandContext,
  outcome: {
    rows: number;
    rejected: number;
    /** Sources (or the job's one input) that produced nothing, with their row counts. */
    empty: readonly { what: string; rows: number }[];
    outputs: readonly string[];
    rejects: string;
    maxRejectPercent: number;
  },
): Promise<void> {
  if (outcome.empty.length > 0) {
    for (const output of outcome.outputs) await rm(output, { force: true });
    const what = outcome.empty
      .map((e) => (e.rows === 0 ? `${e.what} has no rows` : `all ${e.rows} rows of ${e.what} were rejected`))
      .join('; ');
    throw new ResearchError(
      ResearchErrorCodes.NOTHING_PRODUCED,
      `nothing was produced: ${what} (the reasons are in ${outcome.rejects}: a wrong domain, a file that is not ` +
        'what the command expects, a wrong column?)',
    );
  }
  const percent = outcome.rows === 0 ? 0 : (outcome.rejected * 100) / outcome.rows;
  if (percent > outcome.maxRejectPercent) {
    ctx.stderr.write(
      `warning: ${percent.toFixed(1)}% of the rows were rejected (more than --max-reject-rate ` +
        `${outcome.maxRejectPercent}%): see ${outcome.rejects}\n`,
    );
  }
}
