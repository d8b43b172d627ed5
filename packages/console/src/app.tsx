/**
 * The console's frame: log-in until the service confirms an admin session, then a navigation
 * and the page named by the URL's fragment (#/domains, #/access, #/audit, #/health). The
 * fragment names pages only, never a credential.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson, onSignedOut } from './api.js';
import { Login } from './login.js';
import { AccessPage } from './pages/access.js';
import { AuditPage } from './pages/audit.js';
import { DomainPage } from './pages/domain.js';
import { DomainsPage } from './pages/domains.js';
import { HealthPage } from './pages/health.js';
import { clearCredential, credential } from './session.js';
import type { Session } from './types.js';
import { describeError } from './ui.js';

const PAGES = [
  { path: 'domains', title: 'Domains' },
  { path: 'access', title: 'Access' },
  { path: 'audit', title: 'Audit' },
  { path: 'health', title: 'Health and traffic' },
] as const;

function useRoute(): string[] {
  const read = (): string[] => window.location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = (): void => setRoute(read());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function Page({ route }: { route: string[] }) {
  const [page = 'domains', arg] = route;
  if (page === 'domains' && arg !== undefined && arg !== '') return <DomainPage domain={arg} />;
  if (page === 'access') return <AccessPage />;
  if (page === 'audit') return <AuditPage />;
  if (page === 'health') return <HealthPage />;
  return <DomainsPage />;
}

export function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [checking, setChecking] = useState(credential() !== undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const route = useRoute();

  useEffect(() => {
    if (credential() === undefined) return;
    getJson<Session>('/admin/v1/session').then(
      (s) => (setSession(s), setChecking(false)),
      (e: unknown) => (clearCredential(), setNotice(describeError(e)), setChecking(false)),
    );
  }, []);
  useEffect(
    () =>
      onSignedOut(() => {
        setSession(undefined);
        setNotice('Your session has ended: sign in again.');
      }),
    [],
  );

  if (checking) return <main aria-busy="true">Checking your session…</main>;
  if (session === undefined) return <Login notice={notice} onSignedIn={(s) => (setNotice(undefined), setSession(s))} />;
  const current = route[0] === '' || route[0] === undefined ? 'domains' : route[0];
  const signOut = (): void => {
    clearCredential();
    setSession(undefined);
    setNotice('You signed out.');
  };
  return (
    <>
      <header class="top">
        <p class="brand">blindpseudo console</p>
        <nav aria-label="Console pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={`#/${p.path}`} aria-current={current === p.path ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          Signed in as <strong>{session.principal}</strong> ({session.method}){' '}
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </p>
      </header>
      <main id="main">
        <Page route={route} />
      </main>
    </>
  );
}
