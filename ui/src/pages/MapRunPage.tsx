import { useCallback, useEffect, useState } from 'react'
import * as api from '../api'
import { ErrorBox, StatusBadge } from '../components/Status'
import { duration, fmtDuration, fmtTime } from '../format'
import { Link, paths } from '../router'

const POLL_MS = 1500
const PAGE = 100

/** The counts a Map Run shows, in the order of its progress bar. */
const COUNTS = [
  ['succeeded', 'Succeeded'],
  ['failed', 'Failed'],
  ['timedOut', 'Timed out'],
  ['aborted', 'Aborted'],
  ['running', 'Running'],
  ['pending', 'Pending'],
] as const

/** Child statuses, failures first: the order of an unfiltered list. */
const CHILD_ORDER: api.Status[] = ['FAILED', 'TIMED_OUT', 'ABORTED', 'RUNNING', 'SUCCEEDED']

const statusOfCount: Record<string, string> = { failed: 'FAILED', timedOut: 'TIMED_OUT', aborted: 'ABORTED', running: 'RUNNING', succeeded: 'SUCCEEDED' }

/** MapRunPage shows one Map Run: its settings, progress and child executions. */
export function MapRunPage({ arn }: { arn: string }) {
  const [run, setRun] = useState<api.MapRun>()
  const [error, setError] = useState<unknown>()
  const [status, setStatus] = useState('')
  const [children, setChildren] = useState<api.Execution[]>([])
  const [next, setNext] = useState('')
  const [childError, setChildError] = useState<unknown>()

  const load = useCallback(async () => {
    const r = await api.describeMapRun(arn)
    setRun(r)
    document.title = `Map Run ${r.label} · Stepwise`
    return r
  }, [arn])

  const loadChildren = useCallback(
    async (pageToken = '') => {
      try {
        const p = await api.listMapRunExecutions(arn, { status, pageSize: PAGE, pageToken })
        setChildren((old) => (pageToken ? [...old, ...p.items] : p.items))
        setNext(p.next)
        setChildError(undefined)
      } catch (e) {
        setChildError(e)
      }
    },
    [arn, status],
  )

  useEffect(() => {
    load().catch(setError)
  }, [load])
  useEffect(() => {
    loadChildren()
  }, [loadChildren])

  // While it runs: the counts and the first page of children, live.
  const running = run?.status === 'RUNNING'
  useEffect(() => {
    if (!running) return
    const h = setInterval(() => {
      load().catch(() => undefined)
      loadChildren()
    }, POLL_MS)
    return () => clearInterval(h)
  }, [running, load, loadChildren])

  if (error) return <ErrorBox error={error} />
  if (!run) return <div className="muted">Loading…</div>
  const c = run.executionCounts
  const items = run.itemCounts
  const parentName = run.executionArn.slice(run.executionArn.lastIndexOf(':') + 1)
  const shown = status ? children : [...children].sort((a, b) => CHILD_ORDER.indexOf(a.status) - CHILD_ORDER.indexOf(b.status))
  return (
    <div className="page maprun-page">
      <div className="crumbs">
        <Link to={paths.executions()}>Executions</Link> /{' '}
        <Link to={paths.execution(run.executionArn)} data-testid="maprun-parent">
          {parentName}
        </Link>{' '}
        / {run.stateName} /
      </div>
      <div className="row header">
        <h2 data-testid="maprun-label">Map Run {run.label}</h2>
        <StatusBadge status={run.status as api.Status} />
        {running && <span className="live">● live</span>}
      </div>
      <dl className="facts inline">
        <dt>Map state</dt>
        <dd>{run.stateName}</dd>
        <dt>Label</dt>
        <dd>{run.label}</dd>
        <dt>Max concurrency</dt>
        <dd data-testid="maprun-concurrency">{run.maxConcurrency}</dd>
        <dt>Tolerated failures</dt>
        <dd data-testid="maprun-tolerance">
          {run.toleratedFailurePercentage}% · {run.toleratedFailureCount}
        </dd>
        <dt>Parent</dt>
        <dd>
          <Link to={paths.execution(run.executionArn)}>{parentName}</Link>
        </dd>
        <dt>Started</dt>
        <dd>{fmtTime(run.startTime)}</dd>
        <dt>Stopped</dt>
        <dd>{fmtTime(run.stopTime)}</dd>
        <dt>Duration</dt>
        <dd>{fmtDuration(duration(run.startTime, run.stopTime))}</dd>
        <dt>Children run</dt>
        <dd>{run.stateMachineName}</dd>
        <dt>ARN</dt>
        <dd className="mono small">{run.arn}</dd>
      </dl>
      {running && (
        <UpdateForm
          run={run}
          onUpdated={(r) => {
            setRun(r)
            loadChildren()
          }}
        />
      )}
      {c && (
        <>
          <Progress counts={c} />
          <table className="tbl small counts" data-testid="maprun-counts">
            <thead>
              <tr>
                <th></th>
                {COUNTS.map(([k, label]) => (
                  <th key={k}>{label}</th>
                ))}
                <th>Total</th>
                {c.resultsWritten > 0 && <th>Results written</th>}
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ['Executions', c, 'executions'],
                  ['Items', items, 'items'],
                ] as const
              ).map(
                ([label, n, kind]) =>
                  n && (
                    <tr key={kind} data-counts={kind}>
                      <th>{label}</th>
                      {COUNTS.map(([k]) => (
                        <td key={k} data-count={k}>
                          {kind === 'executions' && statusOfCount[k] && n[k] > 0 ? (
                            <button className="link" onClick={() => setStatus(statusOfCount[k])}>
                              {n[k]}
                            </button>
                          ) : (
                            n[k]
                          )}
                        </td>
                      ))}
                      <td data-count="total">{n.total}</td>
                      {c.resultsWritten > 0 && <td>{n.resultsWritten}</td>}
                    </tr>
                  ),
              )}
            </tbody>
          </table>
        </>
      )}
      <h3>Child executions</h3>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="child-status">
            <option value="">all (failures first)</option>
            {CHILD_ORDER.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <span className="muted" data-testid="child-count">
          {shown.length}
          {next ? '+' : ''} shown
        </span>
      </div>
      <ErrorBox error={childError} />
      <table className="tbl" data-testid="children">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No child execution{status ? ' with this status' : ''}.
              </td>
            </tr>
          )}
          {shown.map((x) => (
            <tr key={x.arn} data-child={x.name} data-status={x.status}>
              <td className="mono">
                <Link to={paths.execution(x.arn)}>{x.name}</Link>
              </td>
              <td>
                <StatusBadge status={x.status} />
              </td>
              <td>{fmtTime(x.startTime)}</td>
              <td>{fmtDuration(duration(x.startTime, x.stopTime))}</td>
              <td>{x.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <div className="pager">
          <button onClick={() => loadChildren(next)}>Load more</button>
        </div>
      )}
    </div>
  )
}

/** Progress is a bar of a Map Run's children by status, over its total. */
function Progress({ counts }: { counts: api.MapRunCounts }) {
  const total = Math.max(counts.total, 1)
  const done = counts.total - counts.pending - counts.running
  return (
    <div className="maprun-progress">
      <div className="bar" data-testid="maprun-progress" role="progressbar" aria-valuemin={0} aria-valuemax={counts.total} aria-valuenow={done}>
        {COUNTS.map(([k, label]) =>
          counts[k] > 0 ? (
            <span key={k} className={'seg seg-' + k} style={{ width: `${(100 * counts[k]) / total}%` }} title={`${counts[k]} ${label.toLowerCase()}`} />
          ) : null,
        )}
      </div>
      <span className="muted">
        {done} of {counts.total} done
      </span>
    </div>
  )
}

/** UpdateForm changes a running Map Run's concurrency and tolerance (PATCH /v1/map-runs/{arn}). */
function UpdateForm({ run, onUpdated }: { run: api.MapRun; onUpdated: (r: api.MapRun) => void }) {
  const [open, setOpen] = useState(false)
  const [concurrency, setConcurrency] = useState('')
  const [pct, setPct] = useState('')
  const [count, setCount] = useState('')
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  if (!open)
    return (
      <div className="row">
        <button
          onClick={() => {
            setConcurrency(String(run.maxConcurrency))
            setPct(String(run.toleratedFailurePercentage))
            setCount(String(run.toleratedFailureCount))
            setError(undefined)
            setOpen(true)
          }}
          data-testid="maprun-edit"
        >
          Change concurrency or tolerance
        </button>
      </div>
    )
  // Only the fields changed are sent; the server checks their ranges.
  const u: api.MapRunUpdate = {}
  if (concurrency.trim() !== String(run.maxConcurrency)) u.maxConcurrency = Number(concurrency)
  if (pct.trim() !== String(run.toleratedFailurePercentage)) u.toleratedFailurePercentage = Number(pct)
  if (count.trim() !== String(run.toleratedFailureCount)) u.toleratedFailureCount = Number(count)
  const save = async () => {
    setBusy(true)
    setError(undefined)
    try {
      onUpdated(await api.updateMapRun(run.arn, u))
      setOpen(false)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  const field = (label: string, value: string, set: (v: string) => void, id: string) => (
    <label>
      {label} <input value={value} onChange={(e) => set(e.target.value)} size={7} inputMode="decimal" data-testid={id} />
    </label>
  )
  return (
    <div className="confirm" data-testid="maprun-update">
      {field('Max concurrency', concurrency, setConcurrency, 'maprun-set-concurrency')}
      {field('Tolerated failures %', pct, setPct, 'maprun-set-pct')}
      {field('Tolerated failures', count, setCount, 'maprun-set-count')}
      <button className="primary" onClick={save} disabled={busy || Object.keys(u).length === 0} data-testid="maprun-save">
        Update
      </button>
      <button onClick={() => setOpen(false)}>Cancel</button>
      <ErrorBox error={error} />
    </div>
  )
}
