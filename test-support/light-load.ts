/**
 * Load that costs the service its work and the load generator little: pseudonymize requests
 * over `node:http` keep-alive connections, with bodies blinded in advance (a pool of distinct
 * blinded values, sent round robin). For benches that measure what the service does with more
 * processes: a load generator doing the client's two multiplications per request itself would
 * take most of a core and hide it. Counts answers by status and the generator's own CPU time.
 */
import { Agent, request } from 'node:http';
import { blind, encodeValue, pointToJson } from '@blindpseudo/core';

export interface LightLoadOptions {
  /** The service's base URL (`http://host:port/pseudo/v1`). */
  baseUrl: string;
  token: string;
  domain: string;
  /** Requests in flight at once. */
  concurrency: number;
  signal: AbortSignal;
}

export interface LightLoadStats {
  /** Requests answered 200. */
  answered: number;
  /** Requests answered otherwise, or without an answer. */
  failed: number;
  /** The first few failures (status or message; never values). */
  errors: string[];
  /** The load generator's CPU time (user + system), ms. */
  generatorCpuMs: number;
}

/** Pseudonymize request bodies of `count` distinct values, each blinded once. */
export async function blindedBodies(count: number): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const { point } = await blind(encodeValue(`light-load-${i}`));
    bodies.push(Buffer.from(JSON.stringify({ id: `light-${i}`, crv: 'P-521', ...pointToJson(point) })));
  }
  return bodies;
}

function post(agent: Agent, url: URL, token: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs until `signal` aborts; resolves with the counts. */
export async function runLightLoad(options: LightLoadOptions, bodies: readonly Buffer[]): Promise<LightLoadStats> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const url = new URL(`${options.baseUrl}/domains/${options.domain}/pseudonymize`);
  const stats: LightLoadStats = { answered: 0, failed: 0, errors: [], generatorCpuMs: 0 };
  const cpuAtStart = process.cpuUsage();
  let next = 0;
  const loop = async (): Promise<void> => {
    while (!options.signal.aborted) {
      const body = bodies[next++ % bodies.length]!;
      try {
        const status = await post(agent, url, options.token, body);
        if (status === 200) stats.answered += 1;
        else {
          stats.failed += 1;
          if (stats.errors.length < 10) stats.errors.push(`status ${status}`);
        }
      } catch (err) {
        stats.failed += 1;
        if (stats.errors.length < 10) stats.errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const cpu = process.cpuUsage(cpuAtStart);
  stats.generatorCpuMs = (cpu.user + cpu.system) / 1000;
  agent.destroy();
  return stats;
}
