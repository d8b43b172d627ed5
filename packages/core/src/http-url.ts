/**
 * The one rule for the URLs of services and owners (a service's base URL, an owner's `jku`, a
 * config's public base URL): an absolute `http:` or `https:` URL. Callers report a failure with
 * their own error type and {@link HTTP_URL_RULE}.
 */

/** What a URL that fails {@link parseHttpUrl} is told (after its name or path). */
export const HTTP_URL_RULE = 'must be an http(s) URL';

/** `text` as an absolute http(s) URL; undefined when it is not one. */
export function parseHttpUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}
