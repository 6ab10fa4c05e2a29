import { useEffect, useState } from 'react'
import * as api from '../api'
import { ErrorBox } from '../components/Status'
import { fmtTime } from '../format'
import { Link, paths } from '../router'

function StateBadge({ state }: { state: api.Schedule['state'] }) {
  return (
    <span className={'pill exec-' + (state === 'ENABLED' ? 'succeeded' : 'aborted')} data-state={state}>
      {state}
    </span>
  )
}

export function SchedulesPage() {
  const [items, setItems] = useState<api.Schedule[]>()
  const [next, setNext] = useState('')
  const [error, setError] = useState<unknown>()
  const load = (token: string) =>
    api
      .listSchedules(token)
      .then((r) => {
        setItems((old) => (token ? [...(old ?? []), ...r.items] : r.items))
        setNext(r.next)
      })
      .catch(setError)
  useEffect(() => {
    document.title = 'Schedules · Stepwise'
    load('')
  }, [])
  return (
    <div className="page">
      <h2>Schedules</h2>
      <ErrorBox error={error} />
      <table className="tbl" data-testid="schedules">
        <thead>
          <tr>
            <th>Name</th>
            <th>Group</th>
            <th>Expression</th>
            <th>State</th>
            <th>Target</th>
          </tr>
        </thead>
        <tbody>
          {items?.map((s) => (
            <tr key={s.group + '/' + s.name}>
              <td>
                <Link to={paths.schedule(s.group, s.name)}>{s.name}</Link>
              </td>
              <td>{s.group}</td>
              <td className="mono">{s.expression}</td>
              <td>
                <StateBadge state={s.state} />
              </td>
              <td>
                <Link to={paths.machine(api.targetMachine(s.targetArn))}>{api.targetMachine(s.targetArn)}</Link>
              </td>
            </tr>
          ))}
          {items && items.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No schedules yet. Create one with the EventBridge Scheduler API (aws scheduler create-schedule) or
                POST /v1/schedules.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {next && <button onClick={() => load(next)}>Load more</button>}
    </div>
  )
}

export function SchedulePage({ group, name }: { group: string; name: string }) {
  const [d, setD] = useState<Awaited<ReturnType<typeof api.getSchedule>>>()
  const [error, setError] = useState<unknown>()
  useEffect(() => {
    document.title = `${name} · Schedules · Stepwise`
    let live = true
    const load = () =>
      api
        .getSchedule(group, name)
        .then((r) => live && setD(r))
        .catch((e) => live && setError(e))
    load()
    const t = setInterval(load, 5000) // new ticks fire while the page is open
    return () => {
      live = false
      clearInterval(t)
    }
  }, [group, name])
  if (error) return <ErrorBox error={error} />
  if (!d) return <div className="muted">Loading…</div>
  const s = d.schedule
  const machine = api.targetMachine(s.targetArn)
  return (
    <div className="page">
      <div className="crumbs">
        <Link to={paths.schedules()}>Schedules</Link> / {s.group} /
      </div>
      <div className="row header">
        <h2 className="schedule-name">{s.name}</h2>
        <StateBadge state={s.state} />
      </div>
      {s.description && <p>{s.description}</p>}
      <table className="tbl kv" data-testid="schedule-fields">
        <tbody>
          <tr>
            <th>Expression</th>
            <td className="mono">{s.expression}</td>
          </tr>
          <tr>
            <th>Time zone</th>
            <td>{s.timezone || 'UTC'}</td>
          </tr>
          <tr>
            <th>Target</th>
            <td>
              <Link to={paths.machine(machine)}>{machine}</Link> <span className="muted mono">{s.targetArn}</span>
            </td>
          </tr>
          <tr>
            <th>Flexible window</th>
            <td>{s.flexibleWindowMinutes ? `${s.flexibleWindowMinutes} min` : 'off'}</td>
          </tr>
          <tr>
            <th>Catch-up</th>
            <td>{s.catchUp}</td>
          </tr>
          {(s.startDate || s.endDate) && (
            <tr>
              <th>Active</th>
              <td>
                {fmtTime(s.startDate)} → {fmtTime(s.endDate)}
              </td>
            </tr>
          )}
          <tr>
            <th>Modified</th>
            <td>{fmtTime(s.modified)}</td>
          </tr>
        </tbody>
      </table>
      <h3>Next ticks</h3>
      {d.next.length === 0 ? (
        <p className="muted">{s.state === 'DISABLED' ? 'None: the schedule is disabled.' : 'None left.'}</p>
      ) : (
        <ol data-testid="next-ticks">
          {d.next.map((t) => (
            <li key={t}>{fmtTime(t)}</li>
          ))}
        </ol>
      )}
      <h3>Latest fired</h3>
      <table className="tbl" data-testid="recent-ticks">
        <thead>
          <tr>
            <th>Scheduled</th>
            <th>Fired</th>
            <th>Execution</th>
          </tr>
        </thead>
        <tbody>
          {d.recent.map((t) => (
            <tr key={t.time}>
              <td>{fmtTime(t.time)}</td>
              <td>{fmtTime(t.fired)}</td>
              <td>
                {t.executionArn ? (
                  <Link to={paths.execution(t.executionArn)}>{t.executionArn.split(':').pop()}</Link>
                ) : (
                  <span className="tick-error">
                    {t.error} ({t.attempts} attempts)
                  </span>
                )}
              </td>
            </tr>
          ))}
          {d.recent.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                Not fired yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}
