/**
 * Where the console keeps its credential: the bearer token lives in this tab's sessionStorage
 * (gone when the tab closes, never shared with other tabs, never in a URL, never in a cookie),
 * and is sent only in the Authorization header of the console's own fetches to this origin.
 * Because no cookie carries it, a page of another site cannot make the browser send it (no
 * CSRF). With a client certificate there is no token at all: the browser presents the
 * certificate, and the service refuses admin requests that browsers mark as cross-site.
 *
 * Not protected against: script running in the console's own page (XSS) could read the token;
 * the strict Content-Security-Policy (scripts from this origin only, Trusted Types) is what
 * keeps such script out.
 */

const TOKEN_KEY = 'blindpseudo.console.token';
const MODE_KEY = 'blindpseudo.console.mode';

export type Credential = { readonly kind: 'token'; readonly token: string } | { readonly kind: 'certificate' };

let current: Credential | undefined;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined; // storage disabled: the credential lives in memory only
  }
}

/** The credential of this tab, if one was set (also after a reload). */
export function credential(): Credential | undefined {
  if (current !== undefined) return current;
  const s = storage();
  const token = s?.getItem(TOKEN_KEY);
  if (token) current = { kind: 'token', token };
  else if (s?.getItem(MODE_KEY) === 'certificate') current = { kind: 'certificate' };
  return current;
}

export function setCredential(c: Credential): void {
  current = c;
  const s = storage();
  s?.removeItem(TOKEN_KEY);
  s?.removeItem(MODE_KEY);
  if (c.kind === 'token') s?.setItem(TOKEN_KEY, c.token);
  else s?.setItem(MODE_KEY, 'certificate');
}

export function clearCredential(): void {
  current = undefined;
  storage()?.removeItem(TOKEN_KEY);
  storage()?.removeItem(MODE_KEY);
}
