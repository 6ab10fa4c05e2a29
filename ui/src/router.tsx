import { AnchorHTMLAttributes, MouseEvent, useEffect, useState } from 'react'

// A tiny history router: the Go handler serves index.html for every UI path.

export function navigate(to: string, state?: unknown) {
  window.history.pushState(state ?? null, '', to)
  window.dispatchEvent(new PopStateEvent('popstate'))
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const [loc, setLoc] = useState(() => ({ path: window.location.pathname, search: window.location.search }))
  useEffect(() => {
    const on = () => setLoc({ path: window.location.pathname, search: window.location.search })
    window.addEventListener('popstate', on)
    return () => window.removeEventListener('popstate', on)
  }, [])
  return { path: loc.path, search: new URLSearchParams(loc.search) }
}

export function Link({ to, children, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
  }
  return (
    <a href={to} onClick={click} {...rest}>
      {children}
    </a>
  )
}

export const paths = {
  machines: () => '/state-machines',
  machine: (name: string) => '/state-machines/' + encodeURIComponent(name),
  executions: () => '/executions',
  execution: (arn: string) => '/executions/' + encodeURIComponent(arn),
  mapRun: (arn: string) => '/map-runs/' + encodeURIComponent(arn),
  schedules: () => '/scheduler',
  schedule: (group: string, name: string) => '/scheduler/' + encodeURIComponent(group) + '/' + encodeURIComponent(name),
}
