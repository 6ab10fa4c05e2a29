import { ExpressNoPage, isExpress } from './components/ExpressOutcome'
import { TokenPrompt } from './components/TokenPrompt'
import { ExecutionPage } from './pages/ExecutionPage'
import { ExecutionsList } from './pages/ExecutionsList'
import { MachinePage, MachinesPage } from './pages/Machines'
import { MapRunPage } from './pages/MapRunPage'
import { SchedulePage, SchedulesPage } from './pages/Schedules'
import { Link, paths, useLocation } from './router'

export function App() {
  const { path } = useLocation()
  let page
  let m: RegExpMatchArray | null
  if ((m = path.match(/^\/executions\/(.+)$/))) {
    const arn = decodeURIComponent(m[1])
    page = isExpress(arn) ? <ExpressNoPage arn={arn} /> : <ExecutionPage key={m[1]} arn={arn} />
  }
  else if ((m = path.match(/^\/map-runs\/(.+)$/))) page = <MapRunPage key={m[1]} arn={decodeURIComponent(m[1])} />
  else if ((m = path.match(/^\/state-machines\/(.+)$/))) page = <MachinePage key={m[1]} name={decodeURIComponent(m[1])} />
  else if (path === '/state-machines') page = <MachinesPage />
  else if ((m = path.match(/^\/scheduler\/([^/]+)\/([^/]+)$/)))
    page = <SchedulePage key={m[0]} group={decodeURIComponent(m[1])} name={decodeURIComponent(m[2])} />
  else if (path === '/scheduler') page = <SchedulesPage />
  else if (path === '/' || path === '/executions') page = <ExecutionsPage />
  else page = <div className="page">Not found.</div>
  const section = path.startsWith('/state-machines') ? 'machines' : path.startsWith('/scheduler') ? 'schedules' : 'executions'
  return (
    <div className="app">
      <header className="top">
        <Link to="/" className="brand">
          Stepwise
        </Link>
        <nav>
          <Link to={paths.executions()} className={section === 'executions' ? 'active' : ''}>
            Executions
          </Link>
          <Link to={paths.machines()} className={section === 'machines' ? 'active' : ''}>
            State machines
          </Link>
          <Link to={paths.schedules()} className={section === 'schedules' ? 'active' : ''}>
            Schedules
          </Link>
        </nav>
      </header>
      <main>{page}</main>
      <TokenPrompt />
    </div>
  )
}

function ExecutionsPage() {
  document.title = 'Executions · Stepwise'
  return (
    <div className="page">
      <h2>Executions</h2>
      <ExecutionsList />
    </div>
  )
}
