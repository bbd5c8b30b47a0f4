import { useEffect, useState } from 'preact/hooks';
import { currentSession, describeFailure, hasScope, signOut, type SessionInfo } from './api.ts';
import { navigate, usePath } from './router.ts';
import { SignIn } from './signin.tsx';
import { LookupPage } from './lookup.tsx';
import { FeedsPage } from './feeds.tsx';
import { AnalyzePage } from './analyze.tsx';
import { ReportsPage } from './reports.tsx';
import { KeysPage } from './keys.tsx';

type Loaded = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; session: SessionInfo | null };

export function App() {
  const path = usePath();
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });

  useEffect(() => {
    currentSession().then(
      (session) => setLoaded({ state: 'ready', session }),
      (e: unknown) => setLoaded({ state: 'error', message: describeFailure(e) }),
    );
  }, []);

  if (loaded.state === 'loading') return <main class="page"><p role="status">Loading…</p></main>;
  if (loaded.state === 'error') return <main class="page"><p role="alert" class="error">{loaded.message}</p></main>;
  const session = loaded.session;
  if (session === null) {
    return (
      <SignIn
        onSignedIn={(s) => {
          setLoaded({ state: 'ready', session: s });
          if (path === '/' || path === '/signin') navigate('/lookup', true);
        }}
      />
    );
  }

  const pages = [
    { path: '/lookup', label: 'Lookup', allowed: hasScope(session, 'read:lookup') },
    { path: '/analyze', label: 'Analyze', allowed: hasScope(session, 'read:lookup') },
    { path: '/feeds', label: 'Feeds', allowed: hasScope(session, 'read:lookup') },
    { path: '/reports', label: 'Reports', allowed: hasScope(session, 'read:iocs') },
    { path: '/keys', label: 'Keys', allowed: session.key.scopes.includes('admin') },
  ].filter((p) => p.allowed);
  const active = pages.find((p) => path === p.path || path.startsWith(p.path + '/')) ?? null;

  async function out() {
    try {
      await signOut();
    } finally {
      setLoaded({ state: 'ready', session: null });
      navigate('/signin', true);
    }
  }

  let body;
  if (path === '/' || path === '/signin') body = pages[0] ? <Redirect to={pages[0].path} /> : <NoPages />;
  else if (active?.path === '/lookup') body = <LookupPage path={path} />;
  else if (active?.path === '/analyze') body = <AnalyzePage />;
  else if (active?.path === '/keys') body = <KeysPage selfId={session.key.id} />;
  else if (active?.path === '/reports') body = <ReportsPage path={path} />;
  else if (active?.path === '/feeds') body = <FeedsPage admin={hasScope(session, 'admin')} />;
  else body = <NoPages />;

  return (
    <>
      <header class="top">
        <span class="brand">Verdict</span>
        <nav aria-label="Pages">
          {pages.map((p) => (
            <a
              href={p.path}
              aria-current={active?.path === p.path ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate(p.path);
              }}
            >
              {p.label}
            </a>
          ))}
        </nav>
        <span class="who">
          Signed in as <strong>{session.key.name}</strong> <span class="muted">({session.key.key_prefix}…, {session.key.scopes.join(', ')})</span>
        </span>
        <button type="button" class="secondary" onClick={out}>
          Sign out
        </button>
      </header>
      {body}
    </>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

function NoPages() {
  return (
    <main class="page">
      <h1>Nothing to show</h1>
      <p>This key's scopes open no page here, or there is no such page. Lookups need the read:lookup scope.</p>
    </main>
  );
}
