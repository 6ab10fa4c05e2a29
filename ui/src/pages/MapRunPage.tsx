import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react'
import * as api from '../api'
import { ExpressOutcome, ExpressToggle, isExpress, useOpenRows } from '../components/ExpressOutcome'
import { ErrorBox, StatusBadge } from '../components/Status'
import { duration, fmtDuration, fmtTime } from '../format'
import { Link, paths } from '../router'
import { VirtualRows } from '../components/VirtualRows'

const POLL_MS = 1500

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
  // Bumped to fetch the children again (a poll, an update).
  const [generation, setGeneration] = useState(0)
  // EXPRESS or STANDARD, once a child is listed.
  const [childType, setChildType] = useState<api.MachineType>()

  const load = useCallback(async () => {
    const r = await api.describeMapRun(arn)
    setRun(r)
    document.title = `Map Run ${r.label} · Stepwise`
    return r
  }, [arn])

  useEffect(() => {
    load().catch(setError)
  }, [load])
  // While it runs: the counts and the children in view, live.
  const running = run?.status === 'RUNNING'
  useEffect(() => {
    if (!running) return
    const h = setInterval(() => {
      load()
        .then(() => setGeneration((g) => g + 1))
        .catch(() => undefined)
    }, POLL_MS)
    return () => clearInterval(h)
  }, [running, load])

  if (error) return <ErrorBox error={error} />
  if (!run) return <div className="muted">Loading…</div>
  const c = run.executionCounts
  const items = run.itemCounts
  const parentName = run.executionArn.slice(run.executionArn.lastIndexOf(':') + 1)
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
        {/* Always there, so the form below does not move when the first
            child is listed (a click aimed at it would miss). */}
        <dt>Children type</dt>
        <dd data-testid="maprun-child-type">{childType ?? '…'}</dd>
        <dt>ARN</dt>
        <dd className="mono small">{run.arn}</dd>
      </dl>
      {running && (
        <UpdateForm
          run={run}
          onUpdated={(r) => {
            setRun(r)
            setGeneration((g) => g + 1)
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
      <Children arn={arn} counts={c} status={status} setStatus={setStatus} generation={generation} onType={setChildType} />
    </div>
  )
}

/** A page of children and how to get the next one, per status. */
interface Segment {
  rows: api.Execution[]
  next: string
  done: boolean
  loading: boolean
  failed: boolean // its last fetch failed: not tried again in this generation
}

const CHILD_ROW = 34
const FIRST_PAGE = 100 // a quick first render
const PAGE = 1000 // the API's largest page: few round trips to reach the end

const countOfStatus: Record<string, keyof api.MapRunCounts> = { FAILED: 'failed', TIMED_OUT: 'timedOut', ABORTED: 'aborted', RUNNING: 'running', SUCCEEDED: 'succeeded' }

/**
 * Children is a Map Run's child executions as a virtualised table. Its rows
 * are the statuses' lists one after the other (failures first), or one
 * status's; each list's length is the run's count for that status
 * (DescribeMapRun), and its rows are fetched from ListMapRunExecutions a
 * page at a time as they come into view. A new generation (a poll of a
 * running run, an update) fetches again; the rows of the one before are
 * shown until their replacements arrive. An express child's row is all
 * there is of it (it has no page): its name opens it in place, to show its
 * input and output, or its error and cause.
 */
function Children({
  arn,
  counts,
  status,
  setStatus,
  generation,
  onType,
}: {
  arn: string
  counts?: api.MapRunCounts
  status: string
  setStatus: (s: string) => void
  generation: number
  /** Hears the children's type, from the ARNs of those listed. */
  onType: (t: api.MachineType) => void
}) {
  const cache = useRef(new Map<string, Segment>())
  const stale = useRef(new Map<string, Segment>())
  const gen = useRef(generation)
  const [, setTick] = useState(0)
  const [range, setRange] = useState<[number, number]>([0, -1])
  const onRange = useCallback((a: number, b: number) => setRange([a, b]), [])
  const [error, setError] = useState<unknown>()
  // The express children whose rows are open.
  const [open, toggle] = useOpenRows()
  if (gen.current !== generation) {
    gen.current = generation
    stale.current = cache.current
    cache.current = new Map()
  }
  const seg = (s: string): Segment => {
    let g = cache.current.get(s)
    if (!g) cache.current.set(s, (g = { rows: [], next: '', done: false, loading: false, failed: false }))
    return g
  }
  // The lists shown, in order, with their lengths and where each starts.
  const parts = (status ? [status as api.Status] : CHILD_ORDER).map((s) => {
    const g = seg(s)
    const n = counts ? counts[countOfStatus[s]] : 0
    return { status: s, seg: g, length: g.done ? g.rows.length : Math.max(n, g.rows.length) }
  })
  let total = 0
  const starts = parts.map((p) => ((total += p.length), total - p.length))
  const locate = (i: number) => {
    let k = parts.length - 1
    while (k > 0 && starts[k] > i) k--
    return { part: parts[k], offset: i - starts[k] }
  }

  // Fetch the next page of each list whose rows in view are not loaded.
  const [first, last] = range
  useEffect(() => {
    parts.forEach((p, k) => {
      const from = Math.max(first, starts[k])
      const to = Math.min(last, starts[k] + p.length - 1)
      const g = p.seg
      if (from > to || to < g.rows.length || g.done || g.loading || g.failed) return
      g.loading = true
      const current = cache.current
      api
        .listMapRunExecutions(arn, { status: p.status, pageSize: g.rows.length ? PAGE : FIRST_PAGE, pageToken: g.next })
        .then((r) => {
          g.rows = g.rows.concat(r.items)
          if (r.items.length) onType(isExpress(r.items[0].arn) ? 'EXPRESS' : 'STANDARD')
          g.next = r.next
          g.done = !r.next
          setError(undefined)
        })
        .catch((e) => {
          g.failed = true
          setError(e)
        })
        .finally(() => {
          g.loading = false
          if (current === cache.current) setTick((t) => t + 1)
        })
    })
  })

  return (
    <>
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
          {total} {total === 1 ? 'child' : 'children'}
          {status ? ' ' + status.replace('_', ' ').toLowerCase() : ''}
        </span>
      </div>
      <ErrorBox error={error} />
      <div data-testid="children">
        <VirtualRows
          count={total}
          rowHeight={CHILD_ROW}
          testId="child-scroll"
          onRange={onRange}
          rowClass="child-row"
          columns={['Name', 'Status', 'Started', 'Duration', 'Error']}
          empty={<div className="muted pad">No child execution{status ? ' with this status' : ''}.</div>}
          row={(i, style, measure) => {
            const { part, offset } = locate(i)
            const x = part.seg.rows[offset] ?? stale.current.get(part.status)?.rows[offset]
            if (!x)
              return (
                <div key={'?' + i} className="child-row" data-index={i} data-child="" style={style}>
                  <span className="muted">…</span>
                </div>
              )
            const cells = (name: ReactNode) => (
              <>
                <span className="mono">{name}</span>
                <span>
                  <StatusBadge status={x.status} />
                </span>
                <span>{fmtTime(x.startTime)}</span>
                <span>{fmtDuration(duration(x.startTime, x.stopTime))}</span>
                <span title={x.error}>{x.error}</span>
              </>
            )
            if (!isExpress(x.arn))
              return (
                <div key={x.arn} className="child-row" data-index={i} data-child={x.name} data-status={x.status} style={style}>
                  {cells(<Link to={paths.execution(x.arn)}>{x.name}</Link>)}
                </div>
              )
            // An express child has no page: its row opens in place.
            const shown = open.has(x.arn)
            return (
              <div
                key={x.arn}
                ref={measure}
                className={'child-express' + (shown ? ' open' : '')}
                data-index={i}
                data-child={x.name}
                data-status={x.status}
                data-express=""
                style={{ ...style, height: undefined }}
              >
                <div className="child-row" style={{ height: CHILD_ROW }}>
                  {cells(
                    <ExpressToggle x={x} open={shown} toggle={toggle} />,
                  )}
                </div>
                {shown && <ExpressOutcome x={x} withInput testId="express-child" errorTestId="express-child-error" />}
              </div>
            )
          }}
        />
      </div>
    </>
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
