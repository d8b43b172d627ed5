/**
 * Log-in: an admin-role access token (a JWT of the configured issuer, or the demo token in
 * development mode), or the browser's client certificate. The service decides: only a principal
 * of the admin role gets a session (GET /admin/v1/session); anyone else stays here.
 */
import { useState } from 'preact/hooks';
import { ApiError, getJson } from './api.js';
import { clearCredential, setCredential, type Credential } from './session.js';
import type { Session } from './types.js';
import { describeError } from './ui.js';

export function Login({ notice, onSignedIn }: { notice: string | undefined; onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const signIn = async (c: Credential): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setCredential(c);
    try {
      const session = await getJson<Session>('/admin/v1/session');
      onSignedIn(session);
    } catch (e) {
      clearCredential();
      setError(
        e instanceof ApiError && e.status === 403
          ? 'This credential is valid but not of the admin role: the console is for administrators only.'
          : describeError(e),
      );
    } finally {
      setToken('');
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <h1>Sign in to the blindpseudo console</h1>
      {notice !== undefined && <p role="status">{notice}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim() !== '') void signIn({ kind: 'token', token: token.trim() });
        }}
      >
        <label for="token">Access token (admin role)</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby="token-help"
        />
        <p id="token-help" class="help">
          A bearer token of your organisation's issuer with the admin role; in development mode the demo token printed
          by <code>blindpseudo init</code>. It is kept in this tab only and sent only to this service.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        <button type="button" disabled={busy} onClick={() => void signIn({ kind: 'certificate' })}>
          Sign in with my client certificate
        </button>
      </p>
      {error !== undefined && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
