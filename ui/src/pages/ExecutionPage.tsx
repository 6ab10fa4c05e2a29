import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import * as api from '../api'
import { analyse, Iteration, waitingVisits } from '../analysis'
import { AslScope, parseDefinition, processorOf } from '../asl'
import { Callbacks } from '../components/Callbacks'
import { ChildExecutions } from '../components/ChildExecutions'
import { EventFilter, EventTable } from '../components/EventTable'
import { Graph, Legend } from '../components/Graph'
import { JsonView } from '../components/JsonView'
import { StatePanel } from '../components/StatePanel'
import { ErrorBox, StatusBadge } from '../components/Status'
import { Timeline } from '../components/Timeline'
import { VirtualRows } from '../components/VirtualRows'
import { duration, fmtDuration, fmtTime } from '../format'
import { Link, navigate, paths } from '../router'

const POLL_MS = 1500
/** FLUSH is how many more events a loading history shows at a time. */
const FLUSH = 10000

export function ExecutionPage({ arn }: { arn: string }) {
  const [exec, setExec] = useState<api.Execution>()
  const [machine, setMachine] = useState<api.StateMachine>()
  // A distributed Map's child runs the Map's processor: drawn from its
  // parent's definition, as the child's own machine has none of its own.
  const [processor, setProcessor] = useState<AslScope>()
  const [events, setEvents] = useState<api.HistoryEvent[]>([])
  const [loading, setLoading] = useState('')
  const [error, setError] = useState<unknown>()
  const [selected, setSelected] = useState<string>()
  const [tab, setTab] = useState<'events' | 'timeline' | 'iterations' | 'io'>('events')
  const [filter, setFilter] = useState<EventFilter>({ type: '', state: '' })
  const [confirmStop, setConfirmStop] = useState(false)
  const [stopError, setStopError] = useState<unknown>()
  const [redriving, setRedriving] = useState(false)
  const [redriveError, setRedriveError] = useState<unknown>()
  const lastId = useRef(0)
  const firstRender = useRef(0)
  // The whole history is in events (until then the graph shows no statuses
  // and polling waits: a partial history would tell wrong stories).
  const [complete, setComplete] = useState(false)
  const completeRef = useRef(false)

  useEffect(() => {
    let live = true
    setExec(undefined)
    setEvents([])
    setError(undefined)
    setComplete(false)
    completeRef.current = false
    lastId.current = 0
    const t0 = performance.now()
    setLoading('Loading…')
    // The first history page is asked for with the execution, and shown as
    // soon as it comes; the rest follow in batches of at least FLUSH events.
    const firstPage = api.historyPage(arn, {})
    Promise.all([api.describeExecution(arn), api.executionStateMachine(arn).catch(() => undefined), firstPage])
      .then(async ([x, m, first]) => {
        let page = first
        if (!live) return
        setExec(x)
        setMachine(m)
        setProcessor(undefined)
        if (!m && x.mapRunArn && x.parentArn) {
          Promise.all([api.describeMapRun(x.mapRunArn), api.executionStateMachine(x.parentArn)])
            .then(([run, pm]) => {
              const parent = parseDefinition(pm.definition)
              if (live && parent) setProcessor(processorOf(parent, run.stateName))
            })
            .catch(() => undefined)
        }
        document.title = `${x.name} · Stepwise`
        const evs: api.HistoryEvent[] = []
        let shown = -1
        for (;;) {
          evs.push(...page.events)
          const done = !page.next || page.events.length === 0
          if (done || shown < 0 || evs.length - shown >= FLUSH) {
            lastId.current = evs.length ? evs[evs.length - 1].id : 0
            if (shown < 0) firstRender.current = t0
            shown = evs.length
            setEvents(evs.slice())
          }
          if (done) break
          setLoading(`Loading history… ${evs.length} events`)
          page = await api.historyPage(arn, { pageToken: page.next })
          if (!live) return
        }
        completeRef.current = true
        setComplete(true)
        setLoading('')
        ;(window as unknown as { __historyCompleteMs?: number }).__historyCompleteMs = performance.now() - t0
      })
      .catch((e) => {
        if (live) {
          setError(e)
          setLoading('')
        }
      })
    return () => {
      live = false
    }
  }, [arn])

  useEffect(() => {
    if (firstRender.current && events.length) {
      const ms = performance.now() - firstRender.current
      firstRender.current = 0
      // Read by the browser test to log the time to first render.
      ;(window as unknown as { __historyRenderMs?: number }).__historyRenderMs = ms
      console.info(`stepwise: rendered ${events.length} events in ${Math.round(ms)} ms`)
    }
  }, [events])

  // Live updates while the execution runs: poll the execution and the newest events.
  const running = exec?.status === 'RUNNING'
  const refresh = useCallback(async () => {
    const [x, got] = await Promise.all([api.describeExecution(arn), api.newerEvents(arn, lastId.current)])
    // Two refreshes may overlap (a poll and an answer): keep each event once.
    const evs = got.filter((e) => e.id > lastId.current)
    if (evs.length) {
      lastId.current = evs[evs.length - 1].id
      setEvents((old) => [...old, ...evs])
    }
    setExec(x)
  }, [arn])
  useEffect(() => {
    if (!running) return
    let live = true
    const tick = async () => {
      try {
        if (live && completeRef.current) await refresh()
      } catch {
        // keep polling; a transient error should not blank the page
      }
    }
    const h = setInterval(tick, POLL_MS)
    return () => {
      live = false
      clearInterval(h)
    }
  }, [refresh, running])

  // The Map Runs this execution started (its distributed Maps), once its
  // history shows one, and again as more start or the execution ends.
  const [mapRuns, setMapRuns] = useState<api.MapRun[]>([])
  const runsStarted = useMemo(() => events.filter((e) => e.type === 'MapRunStarted').length, [events])
  useEffect(() => {
    if (runsStarted === 0) return
    let live = true
    api
      .listMapRuns(arn)
      .then((rs) => live && setMapRuns(rs))
      .catch(() => undefined)
    return () => {
      live = false
    }
  }, [arn, runsStarted, exec?.status])

  // Events of states:startExecution tasks: when their number changes, the
  // list of child executions is read again.
  const childEvents = useMemo(
    () => events.filter((e) => e.type.startsWith('Task') && e.details.includes('startExecution')).length,
    [events],
  )

  const definition = useMemo(() => (machine ? parseDefinition(machine.definition) : processor), [machine, processor])
  const analysis = useMemo(() => analyse(events, exec?.status ?? 'RUNNING'), [events, exec?.status])
  const waiting = useMemo(() => waitingVisits(analysis), [analysis])

  // After a stop or a redrive: the execution as answered, and its new events.
  const changed = useCallback(
    async (x: api.Execution) => {
      setExec(x)
      const evs = await api.newerEvents(arn, lastId.current)
      if (evs.length) {
        lastId.current = evs[evs.length - 1].id
        setEvents((old) => [...old, ...evs])
      }
    },
    [arn],
  )

  const stop = useCallback(async () => {
    setStopError(undefined)
    try {
      const x = await api.stopExecution(arn, 'Stepwise.Stopped', 'Stopped from the web UI')
      setConfirmStop(false)
      await changed(x)
    } catch (e) {
      setStopError(e)
    }
  }, [arn, changed])

  // Redrive continues the execution from where it stopped: RUNNING again,
  // then the live updates follow it.
  const redrive = useCallback(async () => {
    setRedriveError(undefined)
    setRedriving(true)
    try {
      await changed(await api.redriveExecution(arn))
    } catch (e) {
      setRedriveError(e)
    } finally {
      setRedriving(false)
    }
  }, [arn, changed])

  const startAgain = () => {
    if (!exec) return
    sessionStorage.setItem('stepwise.startInput', exec.input)
    navigate(paths.machine(exec.stateMachineName) + '?start=1')
  }

  if (error) return <ErrorBox error={error} />
  if (!exec) return <div className="muted">{loading || 'Loading…'}</div>
  const start = events.length ? Date.parse(events[0].timestamp) : Date.parse(exec.startTime ?? '')
  const end = exec.stopTime ? Date.parse(exec.stopTime) : events.length ? Math.max(Date.now(), Date.parse(events[events.length - 1].timestamp)) : Date.now()
  const iterations = [...analysis.iterations.entries()]
  return (
    <div className="page execution-page">
      <div className="crumbs">
        <Link to={paths.executions()}>Executions</Link> /{' '}
        {exec.parentArn ? (
          <>
            <Link to={paths.execution(exec.parentArn)}>{exec.parentArn.slice(exec.parentArn.lastIndexOf(':') + 1)}</Link> /{' '}
            {exec.mapRunArn && (
              <>
                <Link to={paths.mapRun(exec.mapRunArn)}>Map Run</Link> /
              </>
            )}
          </>
        ) : (
          <>
            <Link to={paths.machine(exec.stateMachineName)}>{exec.stateMachineName}</Link> /
          </>
        )}
      </div>
      <div className="row header">
        <h2 className="exec-name" data-testid="exec-name">
          {exec.name}
        </h2>
        <StatusBadge status={exec.status} />
        {running && complete && waiting.length > 0 && (
          <span className="pill status-waiting" data-testid="exec-waiting">
            waiting for callback
          </span>
        )}
        {running && <span className="live">● live</span>}
        <span className="spacer" />
        <button onClick={startAgain} title="Start a new execution of this machine with this input">
          New execution with this input
        </button>
        {running && (
          <button className="danger" onClick={() => setConfirmStop(true)} data-testid="stop">
            Stop
          </button>
        )}
        {redrivable(exec) && (
          <button
            onClick={redrive}
            disabled={redriving}
            data-testid="redrive"
            title="Continue this execution from where it stopped: the states that did not succeed run again"
          >
            Redrive
          </button>
        )}
      </div>
      <ErrorBox error={redriveError} />
      {confirmStop && (
        <div className="confirm" role="dialog" data-testid="confirm-stop">
          <span>Stop this execution? Running tasks are abandoned and the execution ends as ABORTED.</span>
          <button className="danger" onClick={stop} data-testid="confirm-stop-yes">
            Stop execution
          </button>
          <button onClick={() => setConfirmStop(false)}>Cancel</button>
          <ErrorBox error={stopError} />
        </div>
      )}
      <dl className="facts inline">
        <dt>State machine</dt>
        <dd>
          {/* A distributed Map's child runs "<machine>/<label>", a part of <machine>. */}
          <Link to={paths.machine(exec.mapRunArn ? exec.stateMachineName.slice(0, exec.stateMachineName.indexOf('/')) : exec.stateMachineName)}>
            {exec.stateMachineName}
          </Link>{' '}
          v{exec.stateMachineVersion}
        </dd>
        <dt>Started</dt>
        <dd>{fmtTime(exec.startTime)}</dd>
        <dt>Stopped</dt>
        <dd>{fmtTime(exec.stopTime)}</dd>
        <dt>Duration</dt>
        <dd>{fmtDuration(duration(exec.startTime, exec.stopTime))}</dd>
        {exec.redriveCount > 0 && (
          <>
            <dt>Redrives</dt>
            <dd data-testid="exec-redrives" title={`last redriven ${fmtTime(exec.redriveDate)}`}>
              {exec.redriveCount} (last {fmtTime(exec.redriveDate)})
            </dd>
          </>
        )}
        <dt>ARN</dt>
        <dd className="mono small">{exec.arn}</dd>
        {exec.parentArn && (
          <>
            <dt>Parent</dt>
            <dd>
              <Link to={paths.execution(exec.parentArn)} data-testid="exec-parent">
                {exec.parentArn.slice(exec.parentArn.lastIndexOf(':') + 1)}
              </Link>
            </dd>
          </>
        )}
        {exec.mapRunArn && (
          <>
            <dt>Map Run</dt>
            <dd>
              <Link to={paths.mapRun(exec.mapRunArn)} data-testid="exec-maprun">
                {exec.stateMachineName.slice(exec.stateMachineName.lastIndexOf('/') + 1)}
              </Link>
            </dd>
          </>
        )}
        {mapRuns.length > 0 && (
          <>
            <dt>Map Runs</dt>
            <dd className="links-inline" data-testid="exec-mapruns">
              {mapRuns.map((r) => (
                <Link key={r.arn} to={paths.mapRun(r.arn)} data-maprun={r.stateName} title={r.arn}>
                  {r.stateName} ({r.status.toLowerCase()})
                </Link>
              ))}
            </dd>
          </>
        )}
      </dl>
      {(exec.error || exec.cause) && (
        <div className="failure" data-testid="exec-error">
          <strong>{exec.error}</strong> {exec.cause && <span className="pre">{exec.cause}</span>}
        </div>
      )}
      {loading && <div className="muted">{loading}</div>}
      {running && complete && (
        <Callbacks
          visits={waiting}
          onAnswered={() => {
            refresh().catch(() => undefined)
            setTimeout(() => refresh().catch(() => undefined), 400)
          }}
        />
      )}
      <ChildExecutions
        arn={arn}
        nested={!machine || machine.definition.includes('arn:aws:states:::states:startExecution')}
        mapRuns={mapRuns}
        version={`${childEvents}:${exec.status}`}
      />
      <div className="split">
        <div className="graph-pane">
          {definition ? (
            <>
              <Graph
                definition={definition}
                states={complete ? analysis.states : undefined}
                iterations={complete ? analysis.iterations : undefined}
                selected={selected}
                onSelect={setSelected}
              />
              <Legend />
            </>
          ) : (
            <div className="muted">No definition.</div>
          )}
        </div>
        {selected && (
          <div className="side-pane">
            <StatePanel key={selected} name={selected} info={analysis.states.get(selected)} onClose={() => setSelected(undefined)} />
            {mapRuns
              .filter((r) => r.stateName === selected)
              .map((r) => (
                <div className="row" key={r.arn}>
                  <Link to={paths.mapRun(r.arn)} data-testid="state-maprun">
                    Map Run {r.label} ({r.status.toLowerCase()}) ›
                  </Link>
                </div>
              ))}
            <div className="row">
              <button className="link" onClick={() => { setFilter({ type: '', state: selected }); setTab('events') }}>
                show this state's events
              </button>
            </div>
          </div>
        )}
      </div>
      <div className="tabs">
        {(
          [
            ['events', 'Events'],
            ['timeline', 'Timeline'],
            ['iterations', `Map iterations${iterations.length ? '' : ' (none)'}`],
            ['io', 'Input / output'],
          ] as const
        ).map(([k, label]) => (
          <button key={k} className={'tab' + (tab === k ? ' active' : '')} onClick={() => setTab(k)} data-testid={'tab-' + k}>
            {label}
          </button>
        ))}
      </div>
      {tab === 'events' && <EventTable events={events} eventState={analysis.eventState} filter={filter} setFilter={setFilter} />}
      {tab === 'timeline' && <Timeline visits={analysis.visits} start={start} end={end} onSelect={setSelected} />}
      {tab === 'iterations' && (
        <Iterations
          iterations={iterations}
          onShow={(from, to) => {
            setFilter({ type: '', state: '', fromId: from, toId: to })
            setTab('events')
          }}
        />
      )}
      {tab === 'io' && (
        <div className="io">
          <JsonView text={exec.input} label="Execution input" />
          <JsonView text={exec.output} label="Execution output" />
        </div>
      )}
    </div>
  )
}

const ITER_ROW = 34

// The iterations of one Map state as a virtualised table: only the rows in
// view are in the DOM, so 10,000 iterations keep the page short.
function Iterations({ iterations, onShow }: { iterations: [string, Iteration[]][]; onShow: (from: number, to?: number) => void }) {
  const [map, setMap] = useState(iterations[0]?.[0] ?? '')
  const [index, setIndex] = useState('')
  const [status, setStatus] = useState('')
  const list = useMemo(() => iterations.find(([m]) => m === map)?.[1] ?? [], [iterations, map])
  const shown = useMemo(
    () => list.filter((it) => (index.trim() === '' || String(it.index) === index.trim()) && (status === '' || it.status === status)),
    [list, index, status],
  )
  const counts = useMemo(() => list.reduce<Record<string, number>>((acc, it) => ((acc[it.status] = (acc[it.status] ?? 0) + 1), acc), {}), [list])
  if (iterations.length === 0) return <p className="muted">This execution ran no Map iterations.</p>
  return (
    <div className="iterations" data-testid="iterations">
      <div className="filters">
        <label>
          Map state{' '}
          <select value={map} onChange={(e) => setMap(e.target.value)}>
            {iterations.map(([m]) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="iteration-status">
            <option value="">all</option>
            {['running', 'succeeded', 'failed', 'cancelled'].map((s) => (
              <option key={s} value={s}>
                {s} ({counts[s] ?? 0})
              </option>
            ))}
          </select>
        </label>
        <label>
          Index <input value={index} onChange={(e) => setIndex(e.target.value)} placeholder="all" size={6} data-testid="iteration-index" />
        </label>
        <span className="muted" data-testid="iteration-count">
          {shown.length === list.length ? `${list.length} iterations` : `${shown.length} of ${list.length} iterations`} ·{' '}
          {Object.entries(counts)
            .map(([k, n]) => `${n} ${k}`)
            .join(' · ')}
        </span>
      </div>
      <VirtualRows
        count={shown.length}
        rowHeight={ITER_ROW}
        testId="iteration-scroll"
        rowClass="iter-row"
        columns={['Index', 'Status', 'Started', 'Duration', 'Events']}
        empty={<div className="muted pad">No iteration matches.</div>}
        row={(i, style) => {
          const it = shown[i]
          return (
            <div key={it.map + '#' + it.index} className="iter-row" data-iteration={it.index} style={style}>
              <span>{it.index}</span>
              <span>
                <span className={'pill status-' + it.status}>{it.status}</span>
              </span>
              <span>{fmtTime(it.startedAt)}</span>
              <span>{fmtDuration(duration(it.startedAt, it.endedAt))}</span>
              <span>
                <button className="link" onClick={() => onShow(it.startId, it.endId)}>
                  events {it.startId}–{it.endId ?? '…'}
                </button>
              </span>
            </div>
          )
        }}
      />
    </div>
  )
}

/** redrivable: the execution ended unsuccessfully and the server says it can be redriven now. */
function redrivable(x: api.Execution): boolean {
  return x.redriveStatus === 'REDRIVABLE' && ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(x.status)
}
