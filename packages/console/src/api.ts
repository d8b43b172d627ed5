/**
 * The console's only way to the service: fetches to this origin's admin API (and the domain
 * document) with the credential in the Authorization header. Problems (RFC 9457) become
 * {@link ApiError}s carrying their title and detail; a 401 ends the session.
 */
import { clearCredential, credential } from './session.js';

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, detail: string) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
  }
}

type Listener = () => void;
const signedOut = new Set<Listener>();

/** Called when the service refuses the credential (401): the app goes back to the log-in page. */
export function onSignedOut(listener: Listener): () => void {
  signedOut.add(listener);
  return () => signedOut.delete(listener);
}

function headers(body: unknown, accept: string): Headers {
  const h = new Headers({ accept });
  const c = credential();
  if (c?.kind === 'token') h.set('authorization', `Bearer ${c.token}`);
  if (body !== undefined) h.set('content-type', 'application/json');
  return h;
}

async function problemOf(res: Response): Promise<ApiError> {
  try {
    const p = (await res.json()) as { title?: unknown; detail?: unknown };
    return new ApiError(
      res.status,
      typeof p.title === 'string' ? p.title : res.statusText,
      typeof p.detail === 'string' ? p.detail : '',
    );
  } catch {
    return new ApiError(res.status, res.statusText || 'Error', 'the service answered something that is not JSON');
  }
}

/** A request to this origin; `path` starts with '/'. */
export async function request(path: string, init: { method?: string; body?: unknown; accept?: string } = {}) {
  const res = await fetch(path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: headers(init.body, init.accept ?? 'application/json'),
    credentials: 'same-origin',
    cache: 'no-store',
    redirect: 'error',
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.ok) return res;
  const err = await problemOf(res);
  if (res.status === 401) {
    clearCredential();
    for (const l of signedOut) l();
  }
  throw err;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return (await (await request(path, { method: 'POST', body })).json()) as T;
}

/** A query string of the defined, non-empty values. */
export function query(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
