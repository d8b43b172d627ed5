/**
 * The operations: pseudonymize, identify, convertTo (with or without transitInfo), and their
 * `*Multiple` forms (`convertToMultiple` is accepted as an alias of `convertMultipleTo`).
 * A `*Multiple` call answers 200 with one output per input, in order, each a result or a problem.
 *
 * Access (request-security.ts) is checked before the body is read: pseudonymize and identify on
 * the domain, convertFrom on the source and convertTo on the target. Converting a pseudonym at
 * rest (no transitInfo) is reserved to the source domain's owners (readSecretKeys), per item.
 */
import { randomUUID } from 'node:crypto';
import { CURVE_NAME, type Point, pointToJson } from '@blindpseudo/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessControl } from '../access-rules.js';
import { type Input, type TransitInfoRule, inputId, itemValidatorCompiler, readItem } from '../inputs.js';
import type { Metrics } from '../metrics.js';
import type { Pseudonymisation, TransitResult } from '../pseudonymisation.js';
import type { Principal } from '../principals.js';
import { ServiceError } from '../errors.js';
import { problemFromError } from '../problems.js';
import { principalOf } from '../request-security.js';
import { convertParams, domainParams, responses } from '../schemas.js';

interface Params {
  domainKey: string;
  toDomainKey?: string;
}

type Output = Record<string, unknown>;

/** The caller of one request, shared by its items. */
interface Caller {
  readonly principal: Principal;
  /** Whether it owns the source domain (readSecretKeys): read from storage once per request. */
  ownsSource(): Promise<boolean>;
}

/** One kind of operation: how it reads an input and what it answers. */
interface Operation {
  readonly name: 'pseudonymize' | 'identify' | 'convert';
  readonly transitInfo: TransitInfoRule;
  run(params: Params, point: Point, transitInfo: string | undefined, caller: Caller): Promise<Output>;
}

function transitOutput(domain: string, r: TransitResult): Output {
  return { domain, crv: CURVE_NAME, iat: r.iat, exp: r.exp, ...pointToJson(r.point), transitInfo: r.transitInfo };
}

export interface PseudonymisationRoutesOptions {
  pseudonymisation: Pseudonymisation;
  metrics: Metrics;
  access: AccessControl;
}

export async function pseudonymisationRoutes(
  app: FastifyInstance,
  options: PseudonymisationRoutesOptions,
): Promise<void> {
  const { pseudonymisation, metrics, access } = options;

  const callerOf = (request: FastifyRequest<{ Params: Params }>): Caller => {
    const principal = principalOf(request);
    let owns: Promise<boolean> | undefined;
    return {
      principal,
      ownsSource: () => (owns ??= access.allows(principal, request.params.domainKey, 'readSecretKeys')),
    };
  };

  const operations: Record<Operation['name'], Operation> = {
    pseudonymize: {
      name: 'pseudonymize',
      transitInfo: 'ignored',
      run: async (p, point, _ti, caller) =>
        transitOutput(p.domainKey, await pseudonymisation.pseudonymize(p.domainKey, point, caller.principal.id)),
    },
    identify: {
      name: 'identify',
      transitInfo: 'required',
      run: async (p, point, ti, caller) => ({
        domain: p.domainKey,
        crv: CURVE_NAME,
        ...pointToJson(await pseudonymisation.identify(p.domainKey, point, ti as string, caller.principal.id)),
      }),
    },
    convert: {
      name: 'convert',
      transitInfo: 'optional',
      run: async (p, point, ti, caller) => {
        if (ti === undefined && !(await caller.ownsSource())) {
          throw new ServiceError(
            'ERR_SERVER_MISSING_PERMISSION',
            `converting a pseudonym at rest (without transitInfo) is reserved to the owners of domain ${p.domainKey}`,
          );
        }
        return transitOutput(
          p.toDomainKey as string,
          await pseudonymisation.convert(p.domainKey, p.toDomainKey as string, point, ti, caller.principal.id),
        );
      },
    },
  };

  /** Unknown domains fail the whole call (404), before any item is read. */
  const checkDomains = (p: Params): void => {
    pseudonymisation.assertDomain(p.domainKey);
    if (p.toDomainKey !== undefined) pseudonymisation.assertDomain(p.toDomainKey);
  };

  const single =
    (op: Operation) =>
    async (request: FastifyRequest<{ Params: Params }>): Promise<Output> => {
      checkDomains(request.params);
      try {
        // The body was read by the item check (itemValidatorCompiler), like each item of a Multiple call.
        const input = request.body as Input;
        const output = await op.run(request.params, input.point, input.transitInfo, callerOf(request));
        metrics.countItem(op.name, 'success');
        return { id: randomUUID(), inResponseTo: input.id, ...output };
      } catch (err) {
        metrics.countItem(op.name, 'problem');
        throw err;
      }
    };

  const multiple =
    (op: Operation) =>
    async (request: FastifyRequest<{ Params: Params }>): Promise<Output> => {
      checkDomains(request.params);
      const caller = callerOf(request);
      const body = request.body as { id?: string; inputs: unknown[] };
      const outputs = await Promise.all(
        body.inputs.map(async (raw, i): Promise<Output> => {
          try {
            const input = readItem(raw, op.transitInfo, `inputs[${i}]`);
            const output = await op.run(request.params, input.point, input.transitInfo, caller);
            metrics.countItem(op.name, 'success');
            return { id: randomUUID(), inResponseTo: input.id, ...output };
          } catch (err) {
            const { problem, serverFault } = problemFromError(err, inputId(raw));
            if (serverFault) app.log.error({ err, item: i }, 'item failed');
            metrics.countItem(op.name, 'problem');
            return { ...problem };
          }
        }),
      );
      return { id: randomUUID(), inResponseTo: body.id, outputs };
    };

  const post = (
    url: string,
    operation: string,
    summary: string,
    body: string,
    result: string,
    params: object,
    op: Operation,
    form: typeof single,
  ): void => {
    app.post(url, {
      config: { operation, access: op.name },
      schema: {
        operationId: operation,
        summary,
        tags: ['pseudonymisation'],
        params,
        body: { $ref: `${body}#` },
        response: responses({ $ref: `${result}#` }),
      },
      ...(form === single ? { validatorCompiler: itemValidatorCompiler(op.transitInfo) } : {}),
      handler: form(op) as never,
    });
  };

  const base = '/pseudo/v1/domains/:domainKey';
  post(
    `${base}/pseudonymize`,
    'pseudonymize',
    'Pseudonymize a blinded value r·X',
    'PseudonymizeRequest',
    'TransitResult',
    domainParams,
    operations.pseudonymize,
    single,
  );
  post(
    `${base}/identify`,
    'identify',
    'Identify a blinded pseudonym in transit',
    'IdentifyRequest',
    'IdentifyResult',
    domainParams,
    operations.identify,
    single,
  );
  post(
    `${base}/convertTo/:toDomainKey`,
    'convertTo',
    'Convert a blinded pseudonym (in transit, or at rest without transitInfo) to another domain',
    'ConvertRequest',
    'TransitResult',
    convertParams,
    operations.convert,
    single,
  );
  post(
    `${base}/pseudonymizeMultiple`,
    'pseudonymizeMultiple',
    'Pseudonymize up to 10 blinded values',
    'MultipleRequest',
    'MultipleResult',
    domainParams,
    operations.pseudonymize,
    multiple,
  );
  post(
    `${base}/identifyMultiple`,
    'identifyMultiple',
    'Identify up to 10 blinded pseudonyms in transit',
    'MultipleRequest',
    'MultipleResult',
    domainParams,
    operations.identify,
    multiple,
  );
  post(
    `${base}/convertMultipleTo/:toDomainKey`,
    'convertMultipleTo',
    'Convert up to 10 blinded pseudonyms to another domain',
    'MultipleRequest',
    'MultipleResult',
    convertParams,
    operations.convert,
    multiple,
  );
  post(
    `${base}/convertToMultiple/:toDomainKey`,
    'convertToMultiple',
    'Alias of convertMultipleTo (sent by some clients)',
    'MultipleRequest',
    'MultipleResult',
    convertParams,
    operations.convert,
    multiple,
  );
}
