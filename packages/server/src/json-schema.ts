/**
 * The service's JSON Schema validators (AJV), each schema compiled once at start-up:
 *
 * - requests: no type coercion, no defaults written, no property removed — a value is valid as
 *   sent, or refused, with AJV's words (`body/x must NOT have more than 88 characters`);
 * - the configuration: defaults filled in, the formats below, and errors worded for operators
 *   with the exact path of the setting (`config.domains[1].bufferSize: must be an integer 1..32`).
 *
 * Only the first error is reported. Messages never contain the value.
 */
import { HTTP_URL_RULE, parseDuration, parseHttpUrl } from '@blindpseudo/core';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const requestAjv = new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false });

/** Compiles a request schema once; the returned function is reused for every value. */
export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return requestAjv.compile<T>(schema);
}

/** The first error of a request validation, as `<label><path> <message>`. */
export function firstError(errors: readonly ErrorObject[] | null | undefined, label: string): string {
  const error = errors?.[0];
  if (error === undefined) return `${label} is not valid`;
  return `${label}${error.instancePath} ${error.message ?? 'is not valid'}`;
}

function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** Why a text is not an origin as browsers send it (scheme://host[:port], lower case, no default port, no slash). */
function originProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an origin such as https://app.example.org';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) origin';
  if (url.origin !== text) return `must be an origin only, exactly as browsers send it (here ${url.origin})`;
  return undefined;
}

/** Formats of configuration strings, and what a value that is not of the format must be. */
const FORMATS: Record<string, { validate: (text: string) => boolean; message: (text: string) => string }> = {
  'http-url': { validate: (text) => parseHttpUrl(text) !== undefined, message: () => HTTP_URL_RULE },
  'iso-duration': { validate: isDuration, message: () => 'must be an ISO-8601 duration PnDTnHnMnS' },
  origin: {
    validate: (text) => originProblem(text) === undefined,
    message: (text) => originProblem(text) ?? 'must be an origin',
  },
};

const configAjv = new Ajv({
  coerceTypes: false,
  useDefaults: true,
  removeAdditional: false,
  allErrors: false,
  verbose: true,
});
configAjv.addKeyword({ keyword: 'message', schemaType: 'string' });
for (const [name, { validate }] of Object.entries(FORMATS)) configAjv.addFormat(name, validate);

type Node = Record<string, unknown>;

function quotedChoice(values: readonly unknown[]): string {
  if (values.length > 2) return `one of ${values.join(', ')}`;
  return values.map((v) => `"${String(v)}"`).join(' or ');
}

/** What a value of this schema must be, in the service's words (`value`: the wrong one, if any). */
function mustBe(schema: Node | undefined, value?: unknown): string {
  if (schema === undefined) return 'is not valid';
  if (typeof schema.message === 'string') return schema.message;
  if (Array.isArray(schema.enum)) return `must be ${quotedChoice(schema.enum)}`;
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  if (format !== undefined && typeof value === 'string' && value.length > 0) return format.message(value);
  switch (schema.type) {
    case 'integer':
      return `must be an integer ${String(schema.minimum)}..${String(schema.maximum)}`;
    case 'string':
      return 'must be a non-empty string';
    case 'boolean':
      return 'must be true or false';
    case 'object':
      return 'must be an object';
    case 'array':
      return (schema.items as Node | undefined)?.type === 'string'
        ? 'must be an array of non-empty strings'
        : 'must be an array';
    default:
      return 'is not valid';
  }
}

/** `/domains/1/bufferSize` under `config` → `config.domains[1].bufferSize`. */
function settingPath(root: string, instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), root);
}

/** A document valid against its schema, its defaults filled in; or its first wrong setting. */
export type SettingsResult<T> =
  | { readonly valid: true; readonly value: T }
  | { readonly valid: false; readonly path: string; readonly problem: string };

export type SettingsCheck<T> = (input: unknown, root: string) => SettingsResult<T>;

function settingError(error: ErrorObject, root: string): { path: string; problem: string } {
  const at = settingPath(root, error.instancePath);
  const parent = error.parentSchema as Node | undefined;
  const properties = (parent?.properties ?? {}) as Record<string, Node>;
  if (error.keyword === 'additionalProperties') {
    const name = (error.params as { additionalProperty: string }).additionalProperty;
    return {
      path: `${at}.${name}`,
      problem: `unknown setting (expected one of ${Object.keys(properties).join(', ')})`,
    };
  }
  if (error.keyword === 'required') {
    const name = (error.params as { missingProperty: string }).missingProperty;
    // A missing setting is told its type; what the value must match is told once there is one.
    const schema = properties[name];
    return { path: `${at}.${name}`, problem: mustBe(schema && { ...schema, message: undefined }) };
  }
  return { path: at, problem: mustBe(parent, error.data) };
}

/**
 * Compiles a configuration schema once. The returned check validates a copy of its input (the
 * input is left as it is), filling in its defaults; errors name settings under `root`.
 */
export function compileConfigSchema<T>(schema: object): SettingsCheck<T> {
  // Compiled at the first check, not at import: commands that read no configuration pay nothing.
  let compiled: ValidateFunction | undefined;
  return (input, root) => {
    const validate = (compiled ??= configAjv.compile(schema));
    const copy: unknown = input === undefined ? undefined : structuredClone(input);
    if (validate(copy)) return { valid: true, value: copy as T };
    return { valid: false, ...settingError(validate.errors![0]!, root) };
  };
}
