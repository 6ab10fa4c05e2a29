import { FormEvent, Fragment, useEffect, useState } from 'react'
import * as api from '../api'
import { ExecutionName, ExpressRow, isExpress, useOpenRows } from '../components/ExpressOutcome'
import { ErrorBox, StatusBadge } from '../components/Status'
import { duration, fmtDuration, fmtTime } from '../format'
import { Link, paths } from '../router'

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']
const REFRESH_MS = 2000

// The executions list, newest first: filters by status and machine, a CEL
// search whose compile errors show inline, token pagination, and a live
// refresh while any execution on the page runs. An express execution (an
// EXPRESS child of a distributed Map) has no page: its row opens in place.
export function ExecutionsList({ machine, showMachineFilter = true }: { machine?: string; showMachineFilter?: boolean }) {
  const initial = new URLSearchParams(window.location.search)
  const [status, setStatus] = useState(initial.get('status') ?? '')
  const [sm, setSm] = useState(machine ?? initial.get('stateMachine') ?? '')
  const [filterText, setFilterText] = useState(initial.get('filter') ?? '')
  const [filter, setFilter] = useState(initial.get('filter') ?? '')
  const [tokens, setTokens] = useState<string[]>(['']) // page tokens: tokens[i] opens page i
  const [page, setPage] = useState(0)
  const [data, setData] = useState<{ items: api.Execution[]; next: string }>()
  const [error, setError] = useState<unknown>()
  const [filterError, setFilterError] = useState('')
  const [machines, setMachines] = useState<string[]>([])
  const [tick, setTick] = useState(0)
  // The express executions whose rows are open.
  const [open, toggle] = useOpenRows()

  useEffect(() => {
    if (!showMachineFilter) return
    api
      .listStateMachines()
      .then((r) => setMachines(r.items.map((m) => m.name)))
      .catch(() => {})
  }, [showMachineFilter])

  useEffect(() => {
    if (machine) return
    const q = new URLSearchParams()
    if (status) q.set('status', status)
    if (sm) q.set('stateMachine', sm)
    if (filter) q.set('filter', filter)
    const s = q.toString()
    window.history.replaceState(null, '', window.location.pathname + (s ? '?' + s : ''))
  }, [status, sm, filter, machine])

  useEffect(() => {
    const ac = new AbortController()
    api
      .listExecutions({ stateMachineName: sm, status, filter, pageSize: 50, pageToken: tokens[page] }, ac.signal)
      .then((r) => {
        setData(r)
        setError(undefined)
        setFilterError('')
      })
      .catch((e) => {
        if (ac.signal.aborted) return
        if (filter && e instanceof api.ApiError && e.status === 400) {
          setFilterError(e.message)
          setData({ items: [], next: '' })
        } else setError(e)
      })
    return () => ac.abort()
  }, [sm, status, filter, tokens, page, tick])

  const anyRunning = data?.items.some((x) => x.status === 'RUNNING')
  useEffect(() => {
    if (!anyRunning) return
    const h = setTimeout(() => setTick((t) => t + 1), REFRESH_MS)
    return () => clearTimeout(h)
  }, [anyRunning, data])

  const reset = () => {
    setTokens([''])
    setPage(0)
  }
  const search = (e: FormEvent) => {
    e.preventDefault()
    setFilter(filterText.trim())
    reset()
  }
  return (
    <div className="executions">
      <form className="filters" onSubmit={search}>
        <label>
          Status{' '}
          <select
            value={status}
            onChange={(e) => {
              setStatus(e.target.value)
              reset()
            }}
            data-testid="status-filter"
          >
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {showMachineFilter && (
          <label>
            State machine{' '}
            <select
              value={sm}
              onChange={(e) => {
                setSm(e.target.value)
                reset()
              }}
              data-testid="machine-filter"
            >
              <option value="">all</option>
              {[...new Set([...machines, ...(sm ? [sm] : [])])].map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
        )}
        <input
          className={'cel' + (filterError ? ' invalid' : '')}
          value={filterText}
          onChange={(e) => setFilterText(e.target.value)}
          placeholder='CEL filter, e.g. input.customer.tier == "gold" && status == "FAILED"'
          spellCheck={false}
          data-testid="cel-filter"
        />
        <button type="submit" data-testid="cel-search">
          Search
        </button>
        {filter && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setFilterText('')
              setFilter('')
              reset()
            }}
          >
            clear
          </button>
        )}
      </form>
      {filterError && (
        <div className="error cel-error" data-testid="cel-error" role="alert">
          <strong>Filter error:</strong> <span className="pre">{filterError}</span>
        </div>
      )}
      <ErrorBox error={error} />
      <table className="tbl" data-testid="executions-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            {!machine && <th>State machine</th>}
            <th>Started</th>
            <th>Stopped</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((x) => (
            <Fragment key={x.arn}>
              <tr data-execution={x.name} data-status={x.status} data-express={isExpress(x.arn) ? '' : undefined}>
                <td>
                  <ExecutionName x={x} open={open} toggle={toggle} />
                </td>
                <td>
                  <StatusBadge status={x.status} />
                </td>
                {!machine && (
                  <td>
                    <Link to={paths.machine(x.stateMachineName)}>{x.stateMachineName}</Link>
                  </td>
                )}
                <td>{fmtTime(x.startTime)}</td>
                <td>{fmtTime(x.stopTime)}</td>
                <td>{fmtDuration(duration(x.startTime, x.stopTime))}</td>
              </tr>
              <ExpressRow x={x} open={open} colSpan={machine ? 5 : 6} />
            </Fragment>
          ))}
          {data && data.items.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No executions.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="pager">
        <button disabled={page === 0} onClick={() => setPage(page - 1)}>
          ← Newer
        </button>
        <span className="muted">page {page + 1}</span>
        <button
          disabled={!data?.next}
          onClick={() => {
            if (!data?.next) return
            setTokens([...tokens.slice(0, page + 1), data.next])
            setPage(page + 1)
          }}
          data-testid="next-page"
        >
          Older →
        </button>
        {anyRunning && <span className="live">● refreshing</span>}
      </div>
    </div>
  )
}
