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
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessControl } from '../access-rules.js';
import { ServiceError } from '../errors.js';
import { type Input, type TransitInfoRule, inputId, itemValidatorCompiler, readItem } from '../inputs.js';
import type { Metrics } from '../metrics.js';
import type { Principal } from '../principals.js';
import { problemFromError } from '../problems.js';
import type { Pseudonymisation, TransitResult } from '../pseudonymisation.js';
import { principalOf } from '../request-security.js';
import { convertParams, domainParams, responses } from '../schemas.js';
import { type Route, route } from './route-table.js';

interface Params {
  domainKey: string;
  toDomainKey?: string;
}

type Output = Record<string, unknown>;
type OperationName = 'pseudonymize' | 'identify' | 'convert';

/** The caller of one request, shared by its items. */
interface Caller {
  readonly principal: Principal;
  /** Whether it owns the source domain (readSecretKeys): read from storage once per request. */
  ownsSource(): Promise<boolean>;
}

/** One kind of operation: how it reads an input and what it answers. */
interface Operation {
  readonly name: OperationName;
  readonly transitInfo: TransitInfoRule;
  run(params: Params, point: Point, transitInfo: string | undefined, caller: Caller): Promise<Output>;
}

export interface PseudonymisationRoutesOptions {
  pseudonymisation: Pseudonymisation;
  metrics: Metrics;
  access: AccessControl;
  log: FastifyBaseLogger;
}

/** The routes, as data: each an operation in its single or Multiple form. */
const ROUTES: readonly {
  path: string;
  operation: string;
  summary: string;
  body: string;
  result: string;
  op: OperationName;
  form: 'single' | 'multiple';
}[] = [
  {
    path: 'pseudonymize',
    operation: 'pseudonymize',
    summary: 'Pseudonymize a blinded value r·X',
    body: 'PseudonymizeRequest',
    result: 'TransitResult',
    op: 'pseudonymize',
    form: 'single',
  },
  {
    path: 'identify',
    operation: 'identify',
    summary: 'Identify a blinded pseudonym in transit',
    body: 'IdentifyRequest',
    result: 'IdentifyResult',
    op: 'identify',
    form: 'single',
  },
  {
    path: 'convertTo/:toDomainKey',
    operation: 'convertTo',
    summary: 'Convert a blinded pseudonym (in transit, or at rest without transitInfo) to another domain',
    body: 'ConvertRequest',
    result: 'TransitResult',
    op: 'convert',
    form: 'single',
  },
  {
    path: 'pseudonymizeMultiple',
    operation: 'pseudonymizeMultiple',
    summary: 'Pseudonymize up to 10 blinded values',
    body: 'MultipleRequest',
    result: 'MultipleResult',
    op: 'pseudonymize',
    form: 'multiple',
  },
  {
    path: 'identifyMultiple',
    operation: 'identifyMultiple',
    summary: 'Identify up to 10 blinded pseudonyms in transit',
    body: 'MultipleRequest',
    result: 'MultipleResult',
    op: 'identify',
    form: 'multiple',
  },
  {
    path: 'convertMultipleTo/:toDomainKey',
    operation: 'convertMultipleTo',
    summary: 'Convert up to 10 blinded pseudonyms to another domain',
    body: 'MultipleRequest',
    result: 'MultipleResult',
    op: 'convert',
    form: 'multiple',
  },
  {
    path: 'convertToMultiple/:toDomainKey',
    operation: 'convertToMultiple',
    summary: 'Alias of convertMultipleTo (sent by some clients)',
    body: 'MultipleRequest',
    result: 'MultipleResult',
    op: 'convert',
    form: 'multiple',
  },
];

function transitOutput(domain: string, r: TransitResult): Output {
  return { domain, crv: CURVE_NAME, iat: r.iat, exp: r.exp, ...pointToJson(r.point), transitInfo: r.transitInfo };
}

function operationsOf(pseudonymisation: Pseudonymisation): Record<OperationName, Operation> {
  return {
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
}

/** The handlers of a single and of a Multiple call of an operation. */
function handlers(options: PseudonymisationRoutesOptions) {
  const { pseudonymisation, metrics, access, log } = options;
  const callerOf = (request: FastifyRequest<{ Params: Params }>): Caller => {
    const principal = principalOf(request);
    let owns: Promise<boolean> | undefined;
    return {
      principal,
      ownsSource: () => (owns ??= access.allows(principal, request.params.domainKey, 'readSecretKeys')),
    };
  };
  /** Unknown domains fail the whole call (404), before any item is read. */
  const checkDomains = (p: Params): void => {
    pseudonymisation.assertDomain(p.domainKey);
    if (p.toDomainKey !== undefined) pseudonymisation.assertDomain(p.toDomainKey);
  };
  const answer = async (op: Operation, p: Params, input: Input, caller: Caller): Promise<Output> => {
    const output = await op.run(p, input.point, input.transitInfo, caller);
    metrics.countItem(op.name, 'success');
    return { id: randomUUID(), inResponseTo: input.id, ...output };
  };
  return {
    single: (op: Operation) => async (request: FastifyRequest<{ Params: Params }>) => {
      checkDomains(request.params);
      try {
        // The body was read by the item check (itemValidatorCompiler), like each item of a Multiple call.
        return await answer(op, request.params, request.body as Input, callerOf(request));
      } catch (err) {
        metrics.countItem(op.name, 'problem');
        throw err;
      }
    },
    multiple: (op: Operation) => async (request: FastifyRequest<{ Params: Params }>) => {
      checkDomains(request.params);
      const caller = callerOf(request);
      const body = request.body as { id?: string; inputs: unknown[] };
      const outputs = await Promise.all(
        body.inputs.map(async (raw, i): Promise<Output> => {
          try {
            return await answer(op, request.params, readItem(raw, op.transitInfo, `inputs[${i}]`), caller);
          } catch (err) {
            const { problem, serverFault } = problemFromError(err, inputId(raw));
            if (serverFault) log.error({ err, item: i }, 'item failed');
            metrics.countItem(op.name, 'problem');
            return { ...problem };
          }
        }),
      );
      return { id: randomUUID(), inResponseTo: body.id, outputs };
    },
    /** A single call whose item fails to decode ends in the body check, before the handler: its item is a problem too. */
    undecoded: (op: Operation) => async (_request: FastifyRequest, _reply: FastifyReply, err: FastifyError) => {
      if ((err as { validationContext?: string }).validationContext === 'body') metrics.countItem(op.name, 'problem');
    },
  };
}

export function pseudonymisationRoutes(options: PseudonymisationRoutesOptions): Route[] {
  const operations = operationsOf(options.pseudonymisation);
  const forms = handlers(options);
  return ROUTES.map((r) => {
    const op = operations[r.op];
    return route<{ Params: Params }>({
      method: 'POST',
      url: `/pseudo/v1/domains/:domainKey/${r.path}`,
      operation: r.operation,
      access: op.name,
      schema: {
        operationId: r.operation,
        summary: r.summary,
        tags: ['pseudonymisation'],
        params: r.path.includes(':toDomainKey') ? convertParams : domainParams,
        body: { $ref: `${r.body}#` },
        response: responses({ $ref: `${r.result}#` }),
      },
      ...(r.form === 'single'
        ? { validatorCompiler: itemValidatorCompiler(op.transitInfo), onError: forms.undecoded(op) }
        : {}),
      handler: forms[r.form](op),
    });
  });
}
