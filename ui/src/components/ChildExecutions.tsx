import { Fragment, useEffect, useRef, useState } from 'react'
import * as api from '../api'
import { duration, fmtDuration, fmtTime } from '../format'
import { Link, paths } from '../router'
import { ExecutionName, ExpressRow, isExpress, useOpenRows } from './ExpressOutcome'
import { ErrorBox, StatusBadge } from './Status'

/** PAGE is how many nested children one page shows; "more" asks for the next. */
const PAGE = 20
/** The most Map Runs whose children are counted (one describeMapRun each). */
const MAX_RUNS = 10
const POLL_MS = 3000

// The executions an execution started: its states:startExecution children,
// a page at a time (newest first), and its distributed Maps' children as a
// count per Map Run with a link to the Map Run's page, which lists them (a
// Map may have thousands). Nothing when there are none. An express child
// (an ARN with ":express:") has no page: its row opens in place instead.
// nested is false when the execution's definition has no states:startExecution
// task: then the list is not asked for (a distributed Map's parent with
// 100,000 children and no nested one would have the server read them all
// to find none).
export function ChildExecutions({ arn, nested, mapRuns, version }: { arn: string; nested: boolean; mapRuns: api.MapRun[]; version: string }) {
  const [items, setItems] = useState<api.Execution[]>([])
  const [next, setNext] = useState('')
  // Whether "more" loaded later pages: then a reload keeps their token.
  const paged = useRef(false)
  const [error, setError] = useState<unknown>()
  const [counts, setCounts] = useState<Record<string, number>>({})
  const [tick, setTick] = useState(0)
  // The express children whose rows are open.
  const [open, toggle] = useOpenRows()

  // The first page, again when the parent's history says something
  // changed (version) or a child listed is still running (tick): new
  // children come first; those of later pages stay as they were.
  useEffect(() => {
    if (!nested) return
    let live = true
    api
      .listChildExecutions(arn, { kind: 'NESTED', pageSize: PAGE })
      .then((r) => {
        if (!live) return
        setError(undefined)
        setItems((old) => {
          const fresh = new Set(r.items.map((x) => x.arn))
          return [...r.items, ...old.filter((x) => !fresh.has(x.arn))]
        })
        setNext((old) => (paged.current ? old : r.next))
      })
      .catch((e) => live && setError(e))
    return () => {
      live = false
    }
  }, [arn, nested, version, tick])

  const anyRunning = items.some((x) => x.status === 'RUNNING')
  useEffect(() => {
    if (!anyRunning) return
    const h = setInterval(() => setTick((n) => n + 1), POLL_MS)
    return () => clearInterval(h)
  }, [anyRunning])

  // Each Map Run's children, counted by the server.
  useEffect(() => {
    let live = true
    Promise.all(mapRuns.slice(0, MAX_RUNS).map((r) => api.describeMapRun(r.arn).catch(() => undefined))).then((rs) => {
      if (!live) return
      const out: Record<string, number> = {}
      for (const r of rs) if (r?.executionCounts) out[r.arn] = r.executionCounts.total
      setCounts(out)
    })
    return () => {
      live = false
    }
  }, [mapRuns, version])

  const more = async () => {
    try {
      const r = await api.listChildExecutions(arn, { kind: 'NESTED', pageSize: PAGE, pageToken: next })
      setItems((old) => {
        const seen = new Set(old.map((x) => x.arn))
        return [...old, ...r.items.filter((x) => !seen.has(x.arn))]
      })
      setNext(r.next)
      paged.current = true
    } catch (e) {
      setError(e)
    }
  }

  if (items.length === 0 && mapRuns.length === 0 && !error) return null
  return (
    <section className="child-executions" data-testid="exec-children">
      <h3>Child executions</h3>
      <ErrorBox error={error} />
      {items.length > 0 && (
        <table className="tbl small" data-testid="child-executions">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>State machine</th>
              <th>Started</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {items.map((x) => (
              <Fragment key={x.arn}>
                <tr data-child-execution={x.name} data-status={x.status} data-express={isExpress(x.arn) ? '' : undefined}>
                  <td>
                    <ExecutionName x={x} open={open} toggle={toggle} title={x.arn} />
                  </td>
                  <td>
                    <StatusBadge status={x.status} />
                  </td>
                  <td>{x.stateMachineName}</td>
                  <td>{fmtTime(x.startTime)}</td>
                  <td>{fmtDuration(duration(x.startTime, x.stopTime))}</td>
                </tr>
                <ExpressRow x={x} open={open} colSpan={5} />
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button onClick={more} data-testid="child-executions-more">
          More
        </button>
      )}
      {mapRuns.length > 0 && (
        <ul className="child-mapruns" data-testid="child-mapruns">
          {mapRuns.map((r) => (
            <li key={r.arn}>
              <Link to={paths.mapRun(r.arn)} data-maprun={r.stateName} title={r.arn}>
                Map Run {r.label}
              </Link>{' '}
              <span className="muted">
                ({r.stateName}, {r.status.toLowerCase()})
                {counts[r.arn] !== undefined && (
                  <>
                    : <span data-testid="child-maprun-count">{counts[r.arn]}</span> child execution{counts[r.arn] === 1 ? '' : 's'}
                  </>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
