/** The configuration file is validated by its JSON Schema: exact paths, defaults, input untouched. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig, validateDomainConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

function problemOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(err.message.startsWith(`${err.path}: `), err.message);
    return err.message;
  }
  assert.fail('accepted');
}

describe('config schema', () => {
  it('names the exact path of a wrong entry inside a list, and of an unknown setting at any depth', () => {
    const cases: [unknown, string][] = [
      [
        { domains: [{ key: 'a', accessRule: { identify: ['group:x', 'all'] } }] },
        'config.domains[0].accessRule.identify[1]: must be "principal:<id>", "group:<name>" or "*"',
      ],
      [
        {
          auth: { jwt: { jwksUrl: 'https://issuer.example/jwks', issuer: 'i', audience: 'a', algorithms: ['HS256'] } },
        },
        'config.auth.jwt.algorithms[0]: must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
      ],
      [
        { domains: [{ key: 'a', owners: [{ jku: 'https://o.example/jwks', jwksFiel: 'x' }] }] },
        'config.domains[0].owners[0].jwksFiel: unknown setting (expected one of jku, jwksFile, jwks)',
      ],
      [{ limits: { rate: { burst: 3 } } }, 'config.limits.rate.requestsPerSecond: must be an integer 1..1000000'],
      [{ storage: { kind: 'mysql' } }, 'config.storage.kind: must be "sqlite" or "postgres"'],
      [{ auth: { mode: 'open' } }, 'config.auth.mode: must be "required" or "development"'],
      [{ auth: { jwt: { issuer: 'i', audience: 'a' } } }, 'config.auth.jwt: give exactly one of jwksUrl or jwksFile'],
      [{ publicBaseUrl: 'not a url' }, 'config.publicBaseUrl: must be an http(s) URL'],
      [
        { domains: [{ key: 'a', timeToLiveInTransit: 'P8D' }] },
        'config.domains[0].timeToLiveInTransit: must be between 1 second and 7 days',
      ],
      [null, 'config: must be an object'],
    ];
    for (const [input, message] of cases)
      assert.equal(
        problemOf(() => validateConfig(input, '/srv')),
        message,
      );
  });

  it('a domain from the CLI or the admin API is named under its own root', () => {
    assert.equal(
      problemOf(() => validateDomainConfig({ key: 'a', bufferSize: 0 }, 'domain', '/')),
      'domain.bufferSize: must be an integer 1..32',
    );
  });

  it('fills defaults in a copy: the given document is left as it was', () => {
    const input = {
      domains: [{ key: 'a', accessRule: { identify: ['*', '*'] } }],
      limits: { rate: { requestsPerSecond: 5 } },
    };
    const before = structuredClone(input);
    const config = validateConfig(input, '/srv');
    assert.deepEqual(input, before);
    assert.equal(config.domains[0]!.bufferSize, 8);
    assert.equal(config.domains[0]!.description, 'a');
    assert.deepEqual(config.domains[0]!.accessRule.identify, ['*']);
    assert.deepEqual(config.domains[0]!.accessRule.convertTo, []);
    assert.deepEqual(config.limits.rate, { requestsPerSecond: 5, burst: 5 });
    assert.ok(Object.isFrozen(config.domains[0]!.accessRule.identify));
  });
});
