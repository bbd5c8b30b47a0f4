import { useEffect, useState } from 'preact/hooks';
import { currentSession, describeFailure, hasScope, signOut, type SessionInfo } from './api.ts';
import { navigate, usePath } from './router.ts';
import { SignIn } from './signin.tsx';
import { LookupPage } from './lookup.tsx';
import { FeedsPage } from './feeds.tsx';
import { AnalyzePage } from './analyze.tsx';
import { ReportsPage } from './reports.tsx';
import { KeysPage } from './keys.tsx';
import { CataloguePage } from './catalogue.tsx';

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
          // the first page the key may open (Redirect below), unless a deep link named one
          if (path === '/' || path === '/signin') navigate('/', true);
        }}
      />
    );
  }

  const all = [
    { path: '/lookup', label: 'Lookup', scope: 'read:lookup' as const },
    { path: '/analyze', label: 'Analyze', scope: 'read:lookup' as const },
    { path: '/catalogue', label: 'Catalogue', scope: 'read:iocs' as const },
    { path: '/feeds', label: 'Feeds', scope: 'read:lookup' as const },
    { path: '/reports', label: 'Reports', scope: 'read:iocs' as const },
    { path: '/keys', label: 'Keys', scope: 'admin' as const },
  ];
  const matches = (p: { path: string }) => path === p.path || path.startsWith(p.path + '/');
  const pages = all.filter((p) => hasScope(session, p.scope));
  const active = pages.find(matches) ?? null;
  const refused = active === null ? (all.find(matches) ?? null) : null;
  const admin = hasScope(session, 'admin');

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
  else if (active?.path === '/lookup') body = <LookupPage path={path} admin={admin} />;
  else if (active?.path === '/analyze') body = <AnalyzePage canExport={hasScope(session, 'read:export')} />;
  else if (active?.path === '/catalogue') body = <CataloguePage />;
  else if (active?.path === '/keys') body = <KeysPage selfId={session.key.id} />;
  else if (active?.path === '/reports') body = <ReportsPage path={path} />;
  else if (active?.path === '/feeds') body = <FeedsPage admin={admin} />;
  else if (refused !== null) body = <NeedsScope page={refused.label} scope={refused.scope} has={session.key.scopes} />;
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

function NeedsScope({ page, scope, has }: { page: string; scope: string; has: readonly string[] }) {
  return (
    <main class="page">
      <h1>{page}</h1>
      <p role="alert" class="error" data-testid="needs-scope">
        The {page} page needs a key with the {scope} scope{scope === 'admin' ? '' : ' (or admin)'}; this key has {has.join(', ') || 'no scope'}. Sign in with another key, or ask an admin for one.
      </p>
    </main>
  );
}
