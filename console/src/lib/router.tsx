import { createContext, useCallback, useContext, useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/**
 * A small history router. The app lives under /console/… (and at /): the server answers
 * index.html for every such path, so deep links and reloads work.
 */
export const BASE = '/console';

interface Location { path: string; query: URLSearchParams }
const RouterContext = createContext<{ loc: Location; navigate: (to: string, replace?: boolean) => void }>({
  loc: { path: '/', query: new URLSearchParams() },
  navigate: () => undefined,
});

function current(): Location {
  let path = location.pathname;
  if (path.startsWith(BASE)) path = path.slice(BASE.length);
  return { path: path || '/', query: new URLSearchParams(location.search) };
}

export function Router({ children }: { children: ReactNode }) {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const onPop = () => setLoc(current());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, replace = false) => {
    const url = BASE + (to === '/' ? '' : to);
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    setLoc(current());
    window.scrollTo(0, 0);
  }, []);
  return <RouterContext.Provider value={{ loc, navigate }}>{children}</RouterContext.Provider>;
}

export const useRouter = () => useContext(RouterContext);

/** Matches `pattern` (`/training/:name`) against a path; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** An in-app link: a real <a href> (so it opens in a new tab too), navigated without a reload. */
export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { navigate } = useRouter();
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={BASE + (to === '/' ? '' : to)} onClick={onClick} {...rest}>{children}</a>;
}
