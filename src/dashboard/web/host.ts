/**
 * Where the page runs: inside Teams (TeamsJS: context theme, theme changes, SSO token) or in a plain
 * browser (`?theme=` or the system's colour scheme; the sign-in cookie or local mode).
 */
export type ThemeName = 'light' | 'dark' | 'contrast';

export interface Host {
  inTeams: boolean;
  theme: ThemeName;
  /** A fresh Teams SSO token (null outside Teams). */
  token(): Promise<string | null>;
  onThemeChange(handler: (theme: ThemeName) => void): void;
}

function teamsTheme(name: string | undefined): ThemeName {
  return name === 'dark' ? 'dark' : name === 'contrast' ? 'contrast' : 'light';
}

function browserTheme(): ThemeName {
  const asked = new URLSearchParams(window.location.search).get('theme');
  if (asked === 'dark' || asked === 'light' || asked === 'contrast') return asked;
  if (window.matchMedia('(forced-colors: active)').matches) return 'contrast';
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function browserHost(): Host {
  return {
    inTeams: false,
    theme: browserTheme(),
    token: () => Promise.resolve(null),
    onThemeChange: (handler) => {
      window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
        handler(browserTheme());
      });
    },
  };
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_resolve, reject) => setTimeout(() => { reject(new Error('timed out')); }, ms))]);

/**
 * Connects to Teams when the page is framed (or was opened as the tab, `?host=teams`); falls back to
 * the browser when Teams does not answer in time.
 */
export async function detectHost(): Promise<Host> {
  const framed = window.parent !== window;
  const askedTeams = new URLSearchParams(window.location.search).get('host') === 'teams';
  if (!framed && !askedTeams) return browserHost();
  try {
    // TeamsJS is loaded only inside Teams (its own chunk): a browser outside Teams never fetches it.
    const { app, authentication } = await import('@microsoft/teams-js');
    await withTimeout(app.initialize(), 5000);
    const context = await app.getContext();
    let cached: { token: string; until: number } | null = null;
    return {
      inTeams: true,
      theme: teamsTheme(context.app.theme),
      token: async () => {
        if (cached && cached.until > Date.now()) return cached.token;
        const token = await authentication.getAuthToken();
        // Teams caches the token too; keep ours a few minutes so each request does not ask again.
        cached = { token, until: Date.now() + 5 * 60_000 };
        return token;
      },
      onThemeChange: (handler) => {
        app.registerOnThemeChangeHandler((theme) => {
          handler(teamsTheme(theme));
        });
      },
    };
  } catch {
    return browserHost();
  }
}
