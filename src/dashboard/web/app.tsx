/** The dashboard shell: the theme, who is signed in, the navigation, and the page for the URL. */
import {
  FluentProvider, MessageBar, MessageBarBody, MessageBarTitle, Spinner, Tab, TabList, Text, makeStyles, teamsDarkTheme,
  teamsHighContrastTheme, teamsLightTheme, tokens, type Theme,
} from '@fluentui/react-components';
import { type JSX, lazy, Suspense, useEffect, useState } from 'react';
import { meResponse, type MeResponse, PAGE_IDS, type PageId, PAGES } from '../contract';
import { ApiFailure, call } from './api';
import type { Host, ThemeName } from './host';
import { SessionPage } from './pages/session';
import { SessionsPage } from './pages/sessions';
import { navigate, useLocation } from './router';

// The admin pages (the training data and its charts) load on first visit: testers never download them.
const JobsPage = lazy(() => import('./pages/jobs').then((m) => ({ default: m.JobsPage })));
const ConversationPage = lazy(() => import('./pages/conversation').then((m) => ({ default: m.ConversationPage })));
const MatrixPage = lazy(() => import('./pages/matrix').then((m) => ({ default: m.MatrixPage })));
const ComparePage = lazy(() => import('./pages/compare').then((m) => ({ default: m.ComparePage })));
const PracticesPage = lazy(() => import('./pages/practices').then((m) => ({ default: m.PracticesPage })));
const QualityPage = lazy(() => import('./pages/quality').then((m) => ({ default: m.QualityPage })));

const THEMES: Record<ThemeName, Theme> = { light: teamsLightTheme, dark: teamsDarkTheme, contrast: teamsHighContrastTheme };

/**
 * Each page's view for the path after its section (`/training/12` → ['12']). A page the server may list
 * but that has no view here yet (Compare, Best practices) says so; adding it is one entry.
 */
const VIEWS: Partial<Record<PageId, (rest: string[], me: MeResponse) => JSX.Element>> = {
  sessions: (rest, me) => (rest[0] ? <SessionPage id={rest[0]} /> : <SessionsPage me={me} />),
  compare: () => <ComparePage />,
  practices: () => <PracticesPage />,
  training: (rest, me) => (rest[0] ? <ConversationPage number={Number(rest[0])} /> : <MatrixPage me={me} />),
  quality: () => <QualityPage />,
  jobs: () => <JobsPage />,
};

const isPageId = (s: string): s is PageId => (PAGE_IDS as readonly string[]).includes(s);

/** Why a page is not shown: unknown, for admins only, or not on this bot (yet). */
function Unavailable(props: { section: string; me: MeResponse }) {
  const known = isPageId(props.section) ? PAGES[props.section] : null;
  let text = `There is no page "${props.section}" on the dashboard.`;
  if (known?.adminOnly && !props.me.admin) text = `${known.label} is for admins (ADMIN_ALLOWLIST).`;
  else if (known) text = `${known.label} is not available on this bot yet.`;
  return (
    <MessageBar intent="warning" data-testid="unavailable">
      <MessageBarBody>{text}</MessageBarBody>
    </MessageBar>
  );
}

const useStyles = makeStyles({
  root: { minHeight: '100vh', backgroundColor: tokens.colorNeutralBackground2, color: tokens.colorNeutralForeground1 },
  header: { display: 'flex', alignItems: 'center', gap: '16px', padding: '8px 20px', backgroundColor: tokens.colorNeutralBackground1, borderBottom: `1px solid ${tokens.colorNeutralStroke2}`, flexWrap: 'wrap' },
  title: { fontWeight: tokens.fontWeightSemibold },
  who: { marginLeft: 'auto', color: tokens.colorNeutralForeground3 },
  main: { padding: '16px 20px' },
});

function Signed(props: { me: MeResponse }) {
  const { path } = useLocation();
  const section = (path.split('/')[1] ?? '') || 'sessions';
  const rest = path.split('/').filter((p) => p.length > 0).slice(1);
  const view = isPageId(section) && props.me.pages.includes(section) ? VIEWS[section] : undefined;
  const page = view ? view(rest, props.me) : <Unavailable section={section} me={props.me} />;
  const s = useStyles();
  return (
    <>
      <header className={s.header}>
        <Text className={s.title} size={400}>Tuning Bot</Text>
        <TabList selectedValue={section} onTabSelect={(_e, d) => { navigate(`/${String(d.value)}`); }} aria-label="Dashboard pages">
          {props.me.pages.map((p) => <Tab key={p} value={p}>{PAGES[p].label}</Tab>)}
        </TabList>
        <Text className={s.who} size={200}>
          {props.me.name ?? props.me.testerId}{props.me.admin ? ' · admin' : ''} · {props.me.claude.online ? `Claude ${props.me.claude.model}` : 'offline mode'}
        </Text>
      </header>
      <main className={s.main}>
        <Suspense fallback={<Spinner label="Loading…" />}>{page}</Suspense>
      </main>
    </>
  );
}

/** The whole app for a host (Teams or a browser). */
export function App(props: { host: Host }) {
  const [theme, setTheme] = useState<ThemeName>(props.host.theme);
  const [me, setMe] = useState<{ me: MeResponse | null; error: ApiFailure | Error | null }>({ me: null, error: null });
  useEffect(() => {
    props.host.onThemeChange(setTheme);
    call(meResponse, '/me').then(
      (m) => { setMe({ me: m, error: null }); },
      (err: unknown) => { setMe({ me: null, error: err instanceof Error ? err : new Error(String(err)) }); },
    );
  }, [props.host]);
  const s = useStyles();
  let body = <Spinner label="Signing in…" />;
  if (me.me) body = <Signed me={me.me} />;
  else if (me.error) {
    const signedOut = me.error instanceof ApiFailure && me.error.status === 401;
    body = (
      <main className={s.main}>
        <MessageBar intent={signedOut ? 'warning' : 'error'} data-testid="signed-out">
          <MessageBarBody>
            <MessageBarTitle>{signedOut ? 'Sign in to see the dashboard' : 'The dashboard could not load'}</MessageBarTitle>
            {signedOut
              ? props.host.inTeams
                ? 'Teams could not sign you in to this tab. Reopen the tab, or send /dashboard to the bot for a link.'
                : 'Send /dashboard to Tuning Bot in Teams: it answers with a link that signs you in here.'
              : me.error.message}
          </MessageBarBody>
        </MessageBar>
      </main>
    );
  }
  return (
    // Layout styles go on an inner element: Fluent copies the provider's class onto its portals (menus,
    // dialogs), and a full-height background there would cover the page.
    <FluentProvider theme={THEMES[theme]} data-theme={theme}>
      <div className={s.root}>{body}</div>
    </FluentProvider>
  );
}
