/**
 * The operations: pseudonymize, identify, convertTo (with or without transitInfo), and their
 * `*Multiple` forms (`convertToMultiple` is accepted as an alias of `convertMultipleTo`).
 * A `*Multiple` call answers 200 with one output per input, in order, each a result or a problem.
 */
import { randomUUID } from 'node:crypto';
import { CURVE_NAME, type Point, pointToJson } from '@blindpseudo/core';
import type { FastifyInstance } from 'fastify';
import { type TransitInfoRule, inputId, readInput } from '../inputs.js';
import type { Metrics } from '../metrics.js';
import type { Pseudonymisation, TransitResult } from '../operations.js';
import { problemFromError } from '../problems.js';
import { convertParams, domainParams, responses } from '../schemas.js';

interface Params {
  domainKey: string;
  toDomainKey?: string;
}

type Output = Record<string, unknown>;

/** One kind of operation: how it reads an input and what it answers. */
interface Operation {
  readonly name: 'pseudonymize' | 'identify' | 'convert';
  readonly transitInfo: TransitInfoRule;
  run(params: Params, point: Point, transitInfo: string | undefined): Promise<Output>;
}

function transitOutput(domain: string, r: TransitResult): Output {
  return { domain, crv: CURVE_NAME, iat: r.iat, exp: r.exp, ...pointToJson(r.point), transitInfo: r.transitInfo };
}

export interface PseudonymisationRoutesOptions {
  pseudonymisation: Pseudonymisation;
  metrics: Metrics;
}

export async function pseudonymisationRoutes(
  app: FastifyInstance,
  options: PseudonymisationRoutesOptions,
): Promise<void> {
  const { pseudonymisation, metrics } = options;

  const operations: Record<Operation['name'], Operation> = {
    pseudonymize: {
      name: 'pseudonymize',
      transitInfo: 'ignored',
      run: async (p, point) => transitOutput(p.domainKey, await pseudonymisation.pseudonymize(p.domainKey, point)),
    },
    identify: {
      name: 'identify',
      transitInfo: 'required',
      run: async (p, point, ti) => ({
        domain: p.domainKey,
        crv: CURVE_NAME,
        ...pointToJson(await pseudonymisation.identify(p.domainKey, point, ti as string)),
      }),
    },
    convert: {
      name: 'convert',
      transitInfo: 'optional',
      run: async (p, point, ti) =>
        transitOutput(
          p.toDomainKey as string,
          await pseudonymisation.convert(p.domainKey, p.toDomainKey as string, point, ti),
        ),
    },
  };

  /** Unknown domains fail the whole call (404), before any item is read. */
  const checkDomains = (p: Params): void => {
    pseudonymisation.assertDomain(p.domainKey);
    if (p.toDomainKey !== undefined) pseudonymisation.assertDomain(p.toDomainKey);
  };

  const single =
    (op: Operation) =>
    async (request: { params: Params; body: unknown }): Promise<Output> => {
      checkDomains(request.params);
      try {
        const input = readInput(request.body, op.transitInfo);
        const output = await op.run(request.params, input.point, input.transitInfo);
        metrics.countItem(op.name, 'success');
        return { id: randomUUID(), inResponseTo: input.id, ...output };
      } catch (err) {
        metrics.countItem(op.name, 'problem');
        throw err;
      }
    };

  const multiple =
    (op: Operation) =>
    async (request: { params: Params; body: unknown }): Promise<Output> => {
      checkDomains(request.params);
      const body = request.body as { id?: string; inputs: unknown[] };
      const outputs = await Promise.all(
        body.inputs.map(async (raw, i): Promise<Output> => {
          try {
            const input = readInput(raw, op.transitInfo, `inputs[${i}]`);
            const output = await op.run(request.params, input.point, input.transitInfo);
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
    handler: (request: { params: Params; body: unknown }) => Promise<Output>,
  ): void => {
    app.post(url, {
      config: { operation },
      schema: {
        operationId: operation,
        summary,
        tags: ['pseudonymisation'],
        params,
        body: { $ref: `${body}#` },
        response: responses({ $ref: `${result}#` }),
      },
      handler: handler as never,
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
    single(operations.pseudonymize),
  );
  post(
    `${base}/identify`,
    'identify',
    'Identify a blinded pseudonym in transit',
    'IdentifyRequest',
    'IdentifyResult',
    domainParams,
    single(operations.identify),
  );
  post(
    `${base}/convertTo/:toDomainKey`,
    'convertTo',
    'Convert a blinded pseudonym (in transit, or at rest without transitInfo) to another domain',
    'ConvertRequest',
    'TransitResult',
    convertParams,
    single(operations.convert),
  );
  post(
    `${base}/pseudonymizeMultiple`,
    'pseudonymizeMultiple',
    'Pseudonymize up to 10 blinded values',
    'MultipleRequest',
    'MultipleResult',
    domainParams,
    multiple(operations.pseudonymize),
  );
  post(
    `${base}/identifyMultiple`,
    'identifyMultiple',
    'Identify up to 10 blinded pseudonyms in transit',
    'MultipleRequest',
    'MultipleResult',
    domainParams,
    multiple(operations.identify),
  );
  post(
    `${base}/convertMultipleTo/:toDomainKey`,
    'convertMultipleTo',
    'Convert up to 10 blinded pseudonyms to another domain',
    'MultipleRequest',
    'MultipleResult',
    convertParams,
    multiple(operations.convert),
  );
  post(
    `${base}/convertToMultiple/:toDomainKey`,
    'convertToMultiple',
    'Alias of convertMultipleTo (sent by some clients)',
    'MultipleRequest',
    'MultipleResult',
    convertParams,
    multiple(operations.convert),
  );
}
