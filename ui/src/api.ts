// The REST gateway (grpc-gateway, /v1/) as the UI uses it. Field names are
// lowerCamelCase; int64 values may arrive as strings; JSON payloads are text.

export type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'UNSPECIFIED'

export interface Execution {
  arn: string
  name: string
  stateMachineName: string
  stateMachineVersion: number
  status: Status
  startTime?: string
  stopTime?: string
  input: string
  output: string
  error: string
  cause: string
  /** The execution that started this child execution (describeExecution and listChildExecutions only). */
  parentArn: string
  /** The Map Run of this distributed Map child (describeExecution and listChildExecutions only). */
  mapRunArn: string
  /** How many times it was redriven, and when last. */
  redriveCount: number
  redriveDate?: string
  /** Whether it can be redriven now, and if not why (DescribeExecution only). */
  redriveStatus: RedriveStatus
  redriveStatusReason: string
}

export type RedriveStatus = 'REDRIVABLE' | 'NOT_REDRIVABLE' | 'REDRIVABLE_BY_MAP_RUN' | 'UNSPECIFIED'

export type MachineType = 'STANDARD' | 'EXPRESS'

export interface Logging {
  level: string
  includeExecutionData: boolean
  logGroupArn: string
}

export interface StateMachine {
  name: string
  arn: string
  version: number
  definition: string
  roleArn: string
  created?: string
  type: MachineType
  /** Unset when the machine logs nothing. */
  logging?: Logging
}

export interface HistoryEvent {
  id: number
  previousEventId: number
  timestamp: string
  type: string
  details: string
}

export interface Diagnostic {
  severity: string
  code: string
  message: string
  location: string
}

/** ApiError carries the gateway's error message (e.g. a CEL compile error). */
export class ApiError extends Error {
  status: number
  code: number
  constructor(status: number, code: number, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

// The bearer token of a server started with --auth-token: asked for once
// when the API answers 401, kept for this browser tab (sessionStorage) and
// sent on every call.
const tokenKey = 'stepwise.token'

/** TokenAsker shows the token form; it resolves to the token, or null when the user gives up. */
export type TokenAsker = (wrong: boolean) => Promise<string | null>

let asker: TokenAsker | undefined
let asking: Promise<string | null> | undefined

/** onTokenNeeded registers the UI that asks for the token. */
export function onTokenNeeded(ask: TokenAsker) {
  asker = ask
}

function storedToken(): string | null {
  try {
    return sessionStorage.getItem(tokenKey)
  } catch {
    return null
  }
}

// askToken asks once for all the calls that were refused together.
async function askToken(wrong: boolean): Promise<string | null> {
  if (!asker) return null
  asking ??= asker(wrong).finally(() => {
    asking = undefined
  })
  const token = await asking
  if (token) sessionStorage.setItem(tokenKey, token)
  return token
}

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response
  for (;;) {
    const token = storedToken()
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (token) headers.Authorization = 'Bearer ' + token
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal })
    if (res.status !== 401) break
    // Another call may have been given the token meanwhile; else ask.
    if (storedToken() === token && !(await askToken(token !== null))) break
  }
  const text = await res.text()
  let data: unknown = undefined
  try {
    data = text ? JSON.parse(text) : {}
  } catch {
    data = undefined
  }
  if (!res.ok) {
    const d = data as { message?: string; code?: number } | undefined
    throw new ApiError(res.status, d?.code ?? 0, d?.message || text.trim() || res.statusText)
  }
  return (data ?? {}) as T
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v == null ? '' : String(v)
}

// Timestamps are RFC 3339 strings; a server before they were (an object
// {"rfc3339": ...}) is read too.
function time(v: unknown): string | undefined {
  const t = typeof v === 'string' ? v : (v as { rfc3339?: string } | null | undefined)?.rfc3339
  return t ? t : undefined
}

export function statusName(v: unknown): Status {
  const s = str(v).replace(/^EXECUTION_STATUS_/, '')
  if (typeof v === 'number') {
    return (['UNSPECIFIED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'][v] ?? 'UNSPECIFIED') as Status
  }
  return (s || 'UNSPECIFIED') as Status
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any

function toExecution(r: Raw): Execution {
  return {
    arn: str(r?.arn),
    name: str(r?.name),
    stateMachineName: str(r?.stateMachineName),
    stateMachineVersion: Number(r?.stateMachineVersion ?? 0),
    status: statusName(r?.status),
    startTime: time(r?.startTime),
    stopTime: time(r?.stopTime),
    input: str(r?.input),
    output: str(r?.output),
    error: str(r?.error),
    cause: str(r?.cause),
    parentArn: str(r?.parentArn),
    mapRunArn: str(r?.mapRunArn),
    redriveCount: Number(r?.redriveCount ?? 0),
    redriveDate: time(r?.redriveDate),
    redriveStatus: (str(r?.redriveStatus).replace(/^REDRIVE_STATUS_/, '') || 'UNSPECIFIED') as RedriveStatus,
    redriveStatusReason: str(r?.redriveStatusReason),
  }
}

function toMachine(r: Raw): StateMachine {
  return {
    name: str(r?.name),
    arn: str(r?.arn),
    version: Number(r?.version ?? 0),
    definition: str(r?.definition),
    roleArn: str(r?.roleArn),
    created: time(r?.created),
    type: str(r?.type) === 'STATE_MACHINE_TYPE_EXPRESS' ? 'EXPRESS' : 'STANDARD',
    logging: r?.logging
      ? {
          level: str(r.logging.level).replace(/^LOG_LEVEL_/, '') || 'OFF',
          includeExecutionData: !!r.logging.includeExecutionData,
          logGroupArn: str(r.logging.logGroupArn),
        }
      : undefined,
  }
}

function toEvent(r: Raw): HistoryEvent {
  return {
    id: Number(r?.id ?? 0),
    previousEventId: Number(r?.previousEventId ?? 0),
    timestamp: time(r?.timestamp) ?? '',
    type: str(r?.type),
    details: str(r?.details),
  }
}

const enc = encodeURIComponent

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '' && v !== false) q.set(k, String(v))
  }
  const s = q.toString()
  return s ? '?' + s : ''
}

export async function listStateMachines(pageToken = ''): Promise<{ items: StateMachine[]; next: string }> {
  const r = await call<Raw>('GET', '/v1/state-machines' + query({ pageSize: 100, pageToken }))
  return { items: (r.stateMachines ?? []).map(toMachine), next: str(r.nextPageToken) }
}

export async function describeStateMachine(name: string, version = 0): Promise<StateMachine> {
  const r = await call<Raw>('GET', '/v1/state-machines/' + enc(name) + query({ version: version || undefined }))
  return toMachine(r.stateMachine)
}

/** validateDefinition checks a definition on the server; an EXPRESS one against the Express rules too. */
export async function validateDefinition(definition: string, type: MachineType = 'STANDARD'): Promise<{ result: string; diagnostics: Diagnostic[] }> {
  const r = await call<Raw>('POST', '/v1/state-machines:validate', { definition, type: 'STATE_MACHINE_TYPE_' + type })
  return { result: str(r.result), diagnostics: (r.diagnostics ?? []) as Diagnostic[] }
}

export interface ListExecutionsParams {
  stateMachineName?: string
  status?: string
  filter?: string
  pageSize?: number
  pageToken?: string
}

export async function listExecutions(p: ListExecutionsParams, signal?: AbortSignal): Promise<{ items: Execution[]; next: string }> {
  const r = await call<Raw>(
    'GET',
    '/v1/executions' +
      query({
        stateMachineName: p.stateMachineName,
        status: p.status ? 'EXECUTION_STATUS_' + p.status : undefined,
        filter: p.filter,
        pageSize: p.pageSize,
        pageToken: p.pageToken,
      }),
    undefined,
    signal,
  )
  return { items: (r.executions ?? []).map(toExecution), next: str(r.nextPageToken) }
}

export async function describeExecution(arn: string): Promise<Execution> {
  const r = await call<Raw>('GET', '/v1/executions/' + enc(arn))
  return toExecution(r.execution)
}

export async function executionStateMachine(arn: string): Promise<StateMachine> {
  const r = await call<Raw>('GET', '/v1/executions/' + enc(arn) + '/state-machine')
  return toMachine(r.stateMachine)
}

export async function historyPage(
  arn: string,
  opts: { pageToken?: string; reverseOrder?: boolean; pageSize?: number },
): Promise<{ events: HistoryEvent[]; next: string }> {
  const r = await call<Raw>(
    'GET',
    '/v1/executions/' + enc(arn) + '/history' + query({ pageSize: opts.pageSize ?? 1000, pageToken: opts.pageToken, reverseOrder: opts.reverseOrder }),
  )
  return { events: (r.events ?? []).map(toEvent), next: str(r.nextPageToken) }
}

/** newerEvents returns the events after lastId, oldest first, reading the history newest first. */
export async function newerEvents(arn: string, lastId: number): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = []
  let token = ''
  for (;;) {
    const p = await historyPage(arn, { pageToken: token, reverseOrder: true, pageSize: 200 })
    let done = !p.next || p.events.length === 0
    for (const e of p.events) {
      if (e.id <= lastId) {
        done = true
        break
      }
      out.push(e)
    }
    if (done) return out.reverse()
    token = p.next
  }
}

export async function startExecution(stateMachineName: string, name: string, input: string): Promise<Execution> {
  const r = await call<Raw>('POST', '/v1/state-machines/' + enc(stateMachineName) + '/executions', { name, input })
  return toExecution(r.execution)
}

/** startSyncExecution runs an EXPRESS machine's execution to its end and returns it (SUCCEEDED, FAILED or TIMED_OUT). */
export async function startSyncExecution(stateMachineName: string, name: string, input: string): Promise<Execution> {
  const r = await call<Raw>('POST', '/v1/state-machines/' + enc(stateMachineName) + '/executions:sync', { name, input })
  return toExecution(r.execution)
}

/** redriveExecution continues a FAILED, TIMED_OUT or ABORTED execution; it answers the execution after the redrive. */
export async function redriveExecution(arn: string): Promise<Execution> {
  const r = await call<Raw>('POST', '/v1/executions/' + enc(arn) + ':redrive', {})
  return toExecution(r.execution)
}

export async function stopExecution(arn: string, error: string, cause: string): Promise<Execution> {
  const r = await call<Raw>('POST', '/v1/executions/' + enc(arn) + ':stop', { error, cause })
  return toExecution(r.execution)
}

// Task callbacks (.waitForTaskToken): the TaskService routes, with the
// same token handling as every other call.

export async function sendTaskSuccess(taskToken: string, output: string): Promise<void> {
  await call<Raw>('POST', '/v1/tasks:success', { taskToken, output })
}

export async function sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
  await call<Raw>('POST', '/v1/tasks:failure', { taskToken, error, cause })
}

export async function sendTaskHeartbeat(taskToken: string): Promise<void> {
  await call<Raw>('POST', '/v1/tasks:heartbeat', { taskToken })
}

export async function updateStateMachine(name: string, definition: string): Promise<StateMachine> {
  const r = await call<Raw>('PUT', '/v1/state-machines/' + enc(name), { definition })
  return toMachine(r.stateMachine)
}

// Schedules (ScheduleService, /v1/schedules).

export interface Schedule {
  arn: string
  name: string
  group: string
  description: string
  expression: string
  timezone: string
  state: 'ENABLED' | 'DISABLED' | 'UNSPECIFIED'
  flexibleWindowMinutes: number
  targetArn: string
  input: string
  catchUp: string
  startDate?: string
  endDate?: string
  created?: string
  modified?: string
}

export interface ScheduleTick {
  time: string
  executionArn: string
  error: string
  attempts: number
  fired?: string
}

function toSchedule(r: Raw): Schedule {
  return {
    arn: str(r?.arn),
    name: str(r?.name),
    group: str(r?.group),
    description: str(r?.description),
    expression: str(r?.expression),
    timezone: str(r?.timezone),
    state: (str(r?.state).replace(/^SCHEDULE_STATE_/, '') || 'UNSPECIFIED') as Schedule['state'],
    flexibleWindowMinutes: Number(r?.flexibleWindowMinutes ?? 0),
    targetArn: str(r?.target?.arn),
    input: str(r?.target?.input),
    catchUp: str(r?.catchUp),
    startDate: time(r?.startDate),
    endDate: time(r?.endDate),
    created: time(r?.created),
    modified: time(r?.modified),
  }
}

export async function listSchedules(pageToken = ''): Promise<{ items: Schedule[]; next: string }> {
  const r = await call<Raw>('GET', '/v1/schedules' + query({ pageSize: 100, pageToken }))
  return { items: (r.schedules ?? []).map(toSchedule), next: str(r.nextPageToken) }
}

export async function getSchedule(
  group: string,
  name: string,
): Promise<{ schedule: Schedule; next: string[]; recent: ScheduleTick[] }> {
  const r = await call<Raw>('GET', '/v1/schedules/' + enc(group) + '/' + enc(name))
  return {
    schedule: toSchedule(r.schedule),
    next: (r.nextTicks ?? []).map((t: unknown) => time(t) ?? ''),
    recent: (r.recentTicks ?? []).map((t: Raw) => ({
      time: time(t?.time) ?? '',
      executionArn: str(t?.executionArn),
      error: str(t?.error),
      attempts: Number(t?.attempts ?? 0),
      fired: time(t?.fired),
    })),
  }
}

/** The state machine a schedule target ARN names (a version or alias qualifier dropped). */
export function targetMachine(arn: string): string {
  const m = arn.match(/:stateMachine:([^:]+)/)
  return m ? m[1] : ''
}

// Map Runs (MapRunService, /v1/map-runs). A Map Run ARN holds a '/':
// encodeURIComponent sends it as %2F, one path segment.

export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'UNSPECIFIED'

export interface MapRunCounts {
  pending: number
  running: number
  succeeded: number
  failed: number
  timedOut: number
  aborted: number
  total: number
  resultsWritten: number
}

export interface MapRun {
  arn: string
  executionArn: string
  stateName: string
  label: string
  stateMachineName: string
  status: MapRunStatus
  startTime?: string
  stopTime?: string
  maxConcurrency: number
  toleratedFailurePercentage: number
  toleratedFailureCount: number
  /** Set by describeMapRun and updateMapRun, not by listMapRuns. */
  executionCounts?: MapRunCounts
  itemCounts?: MapRunCounts
}

function toCounts(r: Raw): MapRunCounts | undefined {
  if (!r) return undefined
  const n = (k: string) => Number(r?.[k] ?? 0)
  return {
    pending: n('pending'),
    running: n('running'),
    succeeded: n('succeeded'),
    failed: n('failed'),
    timedOut: n('timedOut'),
    aborted: n('aborted'),
    total: n('total'),
    resultsWritten: n('resultsWritten'),
  }
}

function toMapRun(r: Raw): MapRun {
  return {
    arn: str(r?.arn),
    executionArn: str(r?.executionArn),
    stateName: str(r?.stateName),
    label: str(r?.label),
    stateMachineName: str(r?.stateMachineName),
    status: (str(r?.status).replace(/^MAP_RUN_STATUS_/, '') || 'UNSPECIFIED') as MapRunStatus,
    startTime: time(r?.startTime),
    stopTime: time(r?.stopTime),
    maxConcurrency: Number(r?.maxConcurrency ?? 0),
    toleratedFailurePercentage: Number(r?.toleratedFailurePercentage ?? 0),
    toleratedFailureCount: Number(r?.toleratedFailureCount ?? 0),
    executionCounts: toCounts(r?.executionCounts),
    itemCounts: toCounts(r?.itemCounts),
  }
}

export async function describeMapRun(arn: string): Promise<MapRun> {
  const r = await call<Raw>('GET', '/v1/map-runs/' + enc(arn))
  return toMapRun(r.mapRun)
}

export async function listMapRuns(executionArn: string): Promise<MapRun[]> {
  const out: MapRun[] = []
  let pageToken = ''
  do {
    const r = await call<Raw>('GET', '/v1/executions/' + enc(executionArn) + '/map-runs' + query({ pageSize: 1000, pageToken }))
    out.push(...(r.mapRuns ?? []).map(toMapRun))
    pageToken = str(r.nextPageToken)
  } while (pageToken)
  return out
}

export async function listMapRunExecutions(
  arn: string,
  p: { status?: string; pageSize?: number; pageToken?: string },
): Promise<{ items: Execution[]; next: string }> {
  const r = await call<Raw>(
    'GET',
    '/v1/map-runs/' + enc(arn) + '/executions' +
      query({ status: p.status ? 'EXECUTION_STATUS_' + p.status : undefined, pageSize: p.pageSize, pageToken: p.pageToken }),
  )
  return { items: (r.executions ?? []).map(toExecution), next: str(r.nextPageToken) }
}

/** ChildKind picks the children listChildExecutions lists: all, the states:startExecution ones, or the distributed Maps'. */
export type ChildKind = 'ALL' | 'NESTED' | 'MAP_RUN'

/** listChildExecutions lists one page of the executions an execution started, newest first. */
export async function listChildExecutions(
  arn: string,
  p: { kind?: ChildKind; pageSize?: number; pageToken?: string },
): Promise<{ items: Execution[]; next: string }> {
  const r = await call<Raw>(
    'GET',
    '/v1/executions/' + enc(arn) + '/children' +
      query({ kind: p.kind && p.kind !== 'ALL' ? p.kind : undefined, pageSize: p.pageSize, pageToken: p.pageToken }),
  )
  return { items: (r.executions ?? []).map(toExecution), next: str(r.nextPageToken) }
}

export interface MapRunUpdate {
  maxConcurrency?: number
  toleratedFailurePercentage?: number
  toleratedFailureCount?: number
}

export async function updateMapRun(arn: string, u: MapRunUpdate): Promise<MapRun> {
  const r = await call<Raw>('PATCH', '/v1/map-runs/' + enc(arn), u)
  return toMapRun(r.mapRun)
}

// Published versions and aliases of a state machine (StateMachineService).
// A StateMachine's `version` is its revision; a published Version names one
// revision under a number of its own.

export interface Version {
  number: number
  arn: string
  /** The revision (StateMachine.version) whose definition it runs. */
  revision: number
  description: string
  created?: string
}

export interface AliasRoute {
  version: number
  weight: number
}

export interface Alias {
  name: string
  arn: string
  description: string
  routing: AliasRoute[]
  created?: string
  updated?: string
}

function toVersion(r: Raw): Version {
  return {
    number: Number(r?.number ?? 0),
    arn: str(r?.arn),
    revision: Number(r?.revision ?? 0),
    description: str(r?.description),
    created: time(r?.created),
  }
}

function toAlias(r: Raw): Alias {
  return {
    name: str(r?.name),
    arn: str(r?.arn),
    description: str(r?.description),
    routing: ((r?.routing ?? []) as Raw[]).map((x) => ({ version: Number(x?.version ?? 0), weight: Number(x?.weight ?? 0) })),
    created: time(r?.created),
    updated: time(r?.updated),
  }
}

/** listVersions returns every published version of a machine, newest first. */
export async function listVersions(machine: string): Promise<Version[]> {
  const out: Version[] = []
  let pageToken = ''
  do {
    const r = await call<Raw>('GET', '/v1/state-machines/' + enc(machine) + '/versions' + query({ pageSize: 1000, pageToken }))
    out.push(...(r.versions ?? []).map(toVersion))
    pageToken = str(r.nextPageToken)
  } while (pageToken)
  return out
}

/** publishVersion publishes the machine's latest revision (or returns the newest version when it already names it). */
export async function publishVersion(machine: string, description: string): Promise<Version> {
  const r = await call<Raw>('POST', '/v1/state-machines/' + enc(machine) + '/versions', { description })
  return toVersion(r.version)
}

export async function deleteVersion(machine: string, number: number): Promise<void> {
  await call<Raw>('DELETE', '/v1/state-machines/' + enc(machine) + '/versions/' + number)
}

/** listAliases returns every alias of a machine, by name. */
export async function listAliases(machine: string): Promise<Alias[]> {
  const out: Alias[] = []
  let pageToken = ''
  do {
    const r = await call<Raw>('GET', '/v1/state-machines/' + enc(machine) + '/aliases' + query({ pageSize: 1000, pageToken }))
    out.push(...(r.aliases ?? []).map(toAlias))
    pageToken = str(r.nextPageToken)
  } while (pageToken)
  return out
}

export async function createAlias(machine: string, name: string, description: string, routing: AliasRoute[]): Promise<Alias> {
  const r = await call<Raw>('POST', '/v1/state-machines/' + enc(machine) + '/aliases', { name, description, routing })
  return toAlias(r.alias)
}

export async function updateAlias(machine: string, name: string, description: string, routing: AliasRoute[]): Promise<Alias> {
  const r = await call<Raw>('PATCH', '/v1/state-machines/' + enc(machine) + '/aliases/' + enc(name), { description, routing })
  return toAlias(r.alias)
}

export async function deleteAlias(machine: string, name: string): Promise<void> {
  await call<Raw>('DELETE', '/v1/state-machines/' + enc(machine) + '/aliases/' + enc(name))
}

/** aliasNamePattern is the server's (AWS's) rule for alias names: letters, digits, '_', '.', '-', not only digits. */
export const aliasNamePattern = /^[a-zA-Z0-9_.-]*[a-zA-Z_.-][a-zA-Z0-9_.-]*$/

/**
 * routingProblems checks an alias's name (when given) and routing as the
 * server does, so the form says what is wrong before it sends anything:
 * one or two distinct versions, whole weights from 0 to 100 summing to 100.
 */
export function routingProblems(routing: AliasRoute[], name?: string): string[] {
  const out: string[] = []
  if (name !== undefined && (name.length === 0 || name.length > 80 || !aliasNamePattern.test(name))) {
    out.push("The name must be 1 to 80 letters, digits, '_', '.' or '-', not only digits.")
  }
  if (routing.length < 1 || routing.length > 2) out.push('Route to one or two versions.')
  routing.forEach((r, i) => {
    if (!Number.isInteger(r.version) || r.version < 1) out.push(`Route ${i + 1}: choose a version.`)
    if (!Number.isInteger(r.weight) || r.weight < 0 || r.weight > 100) out.push(`Route ${i + 1}: the weight must be a whole number from 0 to 100.`)
  })
  if (routing.length === 2 && routing[0].version === routing[1].version) out.push('The two routes must name different versions.')
  const sum = routing.reduce((s, r) => s + (Number.isFinite(r.weight) ? r.weight : 0), 0)
  if (routing.length > 0 && sum !== 100) out.push(`The weights must sum to 100 (now ${sum}).`)
  return out
}
