import { HistoryEvent, Status } from './api'
import { tryParse } from './json'

// What happened to each state, reconstructed from the history. Task events
// carry no state name (as on AWS), so they are attributed to the open visit
// they must belong to: the state just entered, the one awaiting a retry, the
// one whose exit follows, or the one whose task resource matches.

export type StateStatus = 'running' | 'waiting' | 'failed' | 'caught' | 'retried' | 'succeeded' | 'cancelled' | 'notReached'

/** The task token of a .waitForTaskToken task, as the engine makes them: "<execution id>-<seq>-<mac>". */
export const TASK_TOKEN = /^\d+-\d+-[0-9a-f]{32}$/

export interface Attempt {
  scheduledId: number
  scheduledAt: string
  parameters?: string
  resource?: string
  endedAt?: string
  result?: 'succeeded' | 'failed' | 'timedOut'
  output?: string
  error?: string
  cause?: string
  /** The state's TimeoutSeconds and HeartbeatSeconds, as scheduled. */
  timeoutSeconds?: number
  heartbeatSeconds?: number
  /** The resource waits for a callback (.waitForTaskToken). */
  callback?: boolean
  /** The task token found in the parameters of a callback task. */
  token?: string
  /** The child execution a states:startExecution task started (its ARN, from the task's events). */
  child?: string
}

export interface Visit {
  state: string
  type: string
  enteredId: number
  enteredAt: string
  exitedId?: number
  exitedAt?: string
  input?: string
  output?: string
  error?: string
  cause?: string
  failed: boolean
  retries: number
  attempts: Attempt[]
  status: 'running' | 'waiting' | 'succeeded' | 'failed' | 'caught' | 'cancelled'
  started?: boolean
  /** The execution ended in this visit and a redrive entered the state again. */
  redriven?: boolean
}

export interface StateInfo {
  name: string
  status: StateStatus
  visits: Visit[]
  retries: number
}

export interface Iteration {
  map: string
  index: number
  startId: number
  startedAt: string
  endId?: number
  endedAt?: string
  status: 'running' | 'succeeded' | 'failed' | 'cancelled'
}

export interface Analysis {
  states: Map<string, StateInfo>
  /** eventState[i] is the state events[i] belongs to ('' for execution events). */
  eventState: string[]
  iterations: Map<string, Iteration[]>
  visits: Visit[]
}

export function details(e: HistoryEvent): Record<string, unknown> {
  const d = tryParse(e.details)
  return d && typeof d === 'object' ? (d as Record<string, unknown>) : {}
}

const s = (v: unknown) => (typeof v === 'string' ? v : v == null ? undefined : JSON.stringify(v))
const n = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && isFinite(Number(v)) ? Number(v) : undefined)

/** findToken returns the first string in a JSON text that looks like a task token. */
export function findToken(json?: string): string | undefined {
  if (!json) return undefined
  let found: string | undefined
  const walk = (v: unknown) => {
    if (found) return
    if (typeof v === 'string') {
      if (TASK_TOKEN.test(v)) found = v
    } else if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') Object.values(v).forEach(walk)
  }
  try {
    walk(JSON.parse(json))
  } catch {
    return undefined
  }
  return found
}

/**
 * childExecutionOf returns the ARN of the child execution a task event
 * names: the ExecutionArn in the output of a TaskSubmitted or TaskSucceeded
 * event, or in the cause of a TaskFailed event (a .sync child that did not
 * succeed), of a states:startExecution task.
 */
export function childExecutionOf(e: HistoryEvent, d: Record<string, unknown> = details(e)): string | undefined {
  if (e.type !== 'TaskSubmitted' && e.type !== 'TaskSucceeded' && e.type !== 'TaskFailed') return undefined
  if (d.resourceType !== 'states' || !String(d.resource ?? '').startsWith('startExecution')) return undefined
  const v = tryParse(s(e.type === 'TaskFailed' ? d.cause : d.output) ?? '')
  const arn = v && typeof v === 'object' ? (v as Record<string, unknown>).ExecutionArn : undefined
  return typeof arn === 'string' && arn.includes(':execution:') ? arn : undefined
}

export function analyse(events: HistoryEvent[], execStatus: Status): Analysis {
  const visits: Visit[] = []
  const open: Visit[] = []
  const eventState: string[] = new Array(events.length).fill('')
  const iterations = new Map<string, Iteration[]>()
  const openIter = new Map<string, Iteration>()
  const close = (v: Visit) => {
    const i = open.indexOf(v)
    if (i >= 0) open.splice(i, 1)
  }
  const outstanding = (v: Visit) => {
    const a = v.attempts[v.attempts.length - 1]
    return a && !a.result
  }
  // settle gives the visits still open when the execution ended (before
  // the event last) their final status.
  const settle = (vs: Visit[], ended: boolean, last: HistoryEvent | undefined) => {
    const lastDetails = last ? details(last) : {}
    for (const v of vs) {
      if (!ended) {
        v.status = outstanding(v) && v.attempts[v.attempts.length - 1].callback ? 'waiting' : 'running'
      } else if (v.failed || v.type === 'Fail') {
        v.status = 'failed'
      } else if (v === vs[vs.length - 1] && last && /^Execution(Failed|TimedOut)$/.test(last.type)) {
        v.status = 'failed'
        v.error ??= s(lastDetails.error)
        v.cause ??= s(lastDetails.cause)
      } else {
        v.status = 'cancelled'
      }
    }
  }
  const nextEvent = (i: number) => events[i + 1]
  const nameOfNext = (i: number, suffix: string): string | undefined => {
    const n = nextEvent(i)
    if (n && n.type.endsWith(suffix)) return s(details(n).name)
    return undefined
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i]
    const t = taskEventKind(e.type)
    const d = details(e)
    let v: Visit | undefined
    if (t.endsWith('StateEntered')) {
      v = {
        state: s(d.name) ?? '',
        type: t.slice(0, -'StateEntered'.length),
        enteredId: e.id,
        enteredAt: e.timestamp,
        input: s(d.input),
        failed: false,
        retries: 0,
        attempts: [],
        status: 'running',
      }
      visits.push(v)
      open.push(v)
    } else if (t.endsWith('StateExited')) {
      const name = s(d.name)
      v = open.find((o) => o.state === name && !outstanding(o)) ?? open.find((o) => o.state === name)
      if (v) {
        v.exitedId = e.id
        v.exitedAt = e.timestamp
        v.output = s(d.output)
        v.status = v.failed ? 'caught' : 'succeeded'
        close(v)
      }
    } else if (t === 'TaskScheduled') {
      const prev = events[i - 1]
      const res = s(d.resource)
      if (prev && prev.type === 'TaskStateEntered') v = open.find((o) => o.enteredId === prev.id)
      if (!v) {
        const waiting = open.filter((o) => o.type === 'Task' && !outstanding(o) && o.attempts.length > 0)
        v = waiting.find((o) => o.attempts[0].resource === res) ?? waiting[0]
      }
      if (v) {
        if (v.attempts.length > 0) {
          // A retry: the earlier failure stays in the attempts, not on the visit.
          v.retries++
          v.failed = false
          v.error = v.cause = undefined
        }
        const parameters = s(d.parameters) ?? s(d.input)
        const callback = (res ?? '').endsWith('.waitForTaskToken')
        v.attempts.push({
          scheduledId: e.id,
          scheduledAt: e.timestamp,
          parameters,
          resource: res,
          timeoutSeconds: n(d.timeoutInSeconds),
          heartbeatSeconds: n(d.heartbeatInSeconds),
          callback,
          token: callback ? findToken(parameters) : undefined,
        })
      }
    } else if (t === 'TaskStarted' || t === 'TaskSubmitted') {
      const prevState = eventState[i - 1]
      v = open.find((o) => o.state === prevState && o.type === 'Task')
      const child = t === 'TaskSubmitted' ? childExecutionOf(e, d) : undefined
      if (v && child && v.attempts.length > 0) v.attempts[v.attempts.length - 1].child = child
    } else if (t === 'TaskSucceeded' || t === 'TaskFailed' || t === 'TaskTimedOut') {
      const res = s(d.resource)
      const cands = open.filter((o) => outstanding(o))
      const exitName = nameOfNext(i, 'StateExited')
      v =
        (exitName !== undefined ? cands.find((o) => o.state === exitName) : undefined) ??
        cands.find((o) => o.attempts[o.attempts.length - 1].resource === res) ??
        cands[0]
      if (v) {
        const a = v.attempts[v.attempts.length - 1]
        a.endedAt = e.timestamp
        a.child = childExecutionOf(e, d) ?? a.child
        if (t === 'TaskSucceeded') {
          a.result = 'succeeded'
          a.output = s(d.output)
        } else {
          a.result = t === 'TaskFailed' ? 'failed' : 'timedOut'
          a.error = s(d.error)
          a.cause = s(d.cause)
          v.failed = true
          v.error = a.error
          v.cause = a.cause
        }
      }
    } else if (t === 'ParallelStateStarted' || t === 'MapStateStarted' || t === 'MapRunStarted') {
      const type = t.startsWith('Parallel') ? 'Parallel' : 'Map'
      v = [...open].reverse().find((o) => o.type === type)
      if (v && t !== 'MapRunStarted') {
        if (v.started) v.retries++
        v.started = true
      }
    } else if (t === 'ParallelStateFailed' || t === 'MapStateFailed' || t === 'MapRunFailed') {
      const type = t.startsWith('Parallel') ? 'Parallel' : 'Map'
      const exitName = nameOfNext(i, 'StateExited')
      v = (exitName !== undefined ? open.find((o) => o.state === exitName) : undefined) ?? [...open].reverse().find((o) => o.type === type)
      if (v) {
        v.failed = true
        v.error = s(d.error)
        v.cause = s(d.cause)
      }
    } else if (t === 'MapStateSucceeded' || t === 'MapRunSucceeded' || t === 'ParallelStateSucceeded') {
      const type = t.startsWith('Parallel') ? 'Parallel' : 'Map'
      v = [...open].reverse().find((o) => o.type === type)
    } else if (t.startsWith('MapIteration')) {
      const map = s(d.name) ?? ''
      const index = Number(d.index ?? 0)
      v = open.find((o) => o.state === map)
      const key = map + '#' + index
      if (t === 'MapIterationStarted') {
        const it: Iteration = { map, index, startId: e.id, startedAt: e.timestamp, status: 'running' }
        const list = iterations.get(map) ?? []
        list.push(it)
        iterations.set(map, list)
        openIter.set(key, it)
      } else {
        const it = openIter.get(key)
        if (it) {
          it.endId = e.id
          it.endedAt = e.timestamp
          it.status = t === 'MapIterationSucceeded' ? 'succeeded' : t === 'MapIterationFailed' ? 'failed' : 'cancelled'
          openIter.delete(key)
        }
      }
    } else if (t === 'ExecutionRedriven') {
      // The states that were entered and not left are entered again: the
      // visits that ended the execution end here.
      settle(open, true, events[i - 1])
      for (const o of open) o.redriven = true
      open.length = 0
      for (const [key, it] of openIter) {
        it.status = 'cancelled'
        openIter.delete(key)
      }
    } else if (t.endsWith('StateFailed')) {
      // e.g. a Fail state's own failure event, if any.
      v = [...open].reverse()[0]
    }
    if (v) eventState[i] = v.state
  }
  const ended = execStatus !== 'RUNNING'
  settle(open, ended, events[events.length - 1])
  for (const list of iterations.values()) for (const it of list) if (it.status === 'running' && ended) it.status = 'cancelled'

  const states = new Map<string, StateInfo>()
  for (const v of visits) {
    let info = states.get(v.state)
    if (!info) {
      info = { name: v.state, status: 'notReached', visits: [], retries: 0 }
      states.set(v.state, info)
    }
    info.visits.push(v)
    info.retries += v.retries
  }
  const rank: StateStatus[] = ['running', 'waiting', 'failed', 'caught', 'retried', 'succeeded', 'cancelled', 'notReached']
  for (const info of states.values()) {
    // A visit a redrive took up again counts as a retry of the visit after it.
    const redriven = info.visits.filter((v) => v.redriven).length
    const current = redriven < info.visits.length ? info.visits.filter((v) => !v.redriven) : info.visits
    info.retries += redriven < info.visits.length ? redriven : 0
    let best: StateStatus = 'notReached'
    for (const v of current) {
      let st: StateStatus = v.status
      if (st === 'succeeded' && (v.retries > 0 || redriven > 0)) st = 'retried'
      if (rank.indexOf(st) < rank.indexOf(best)) best = st
    }
    info.status = best
  }
  return { states, eventState, iterations, visits }
}

/** waitingVisits are the visits whose task waits for a callback, oldest first. */
export function waitingVisits(a: Analysis): Visit[] {
  return a.visits.filter((v) => v.status === 'waiting')
}

// taskEventKind reads Lambda (LambdaFunction*) and activity (Activity*)
// events as the Task* events they stand for: AWS records a Task state's
// work under the family of its resource.
export function taskEventKind(type: string): string {
  for (const family of ['LambdaFunction', 'Activity']) {
    if (type.startsWith(family)) {
      const rest = type.slice(family.length)
      if (['Scheduled', 'Started', 'Succeeded', 'Failed', 'TimedOut'].includes(rest)) return 'Task' + rest
    }
  }
  return type
}
