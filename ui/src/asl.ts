// The shape of an ASL definition as the graph needs it.

export interface AslEdge {
  to: string
  /** Short text on the edge: a Choice rule, "Default", or a Catch's error names. */
  label: string
  /** The whole text when label was shortened. */
  title?: string
  kind: 'next' | 'choice' | 'default' | 'catch'
}

export interface AslState {
  name: string
  type: string
  next?: string
  end: boolean
  edges: AslEdge[]
  branches?: AslScope[] // Parallel
  processor?: AslScope // Map
  /** Map: "DISTRIBUTED" or "INLINE". */
  mode?: string
  maxConcurrency?: number
  resource?: string
  retry: boolean
  catchers: boolean
}

export interface AslScope {
  startAt: string
  states: AslState[]
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any

export function parseDefinition(def: string): AslScope | undefined {
  try {
    return scope(JSON.parse(def))
  } catch {
    return undefined
  }
}

/** LABEL_MAX is the longest edge label drawn; longer ones end with "…" and show whole on hover. */
export const LABEL_MAX = 36

function shorten(s: string, max = LABEL_MAX): { label: string; title?: string } {
  const one = s.replace(/\s+/g, ' ').trim()
  return one.length <= max ? { label: one } : { label: one.slice(0, max - 1) + '…', title: one }
}

function scope(r: Raw): AslScope {
  const states: AslState[] = []
  const src = r && typeof r.States === 'object' && r.States ? r.States : {}
  for (const [name, s] of Object.entries<Raw>(src)) {
    const st: AslState = {
      name,
      type: String(s?.Type ?? ''),
      next: typeof s?.Next === 'string' ? s.Next : undefined,
      end: s?.End === true || s?.Type === 'Succeed' || s?.Type === 'Fail',
      edges: [],
      resource: typeof s?.Resource === 'string' ? s.Resource : undefined,
      retry: Array.isArray(s?.Retry) && s.Retry.length > 0,
      catchers: Array.isArray(s?.Catch) && s.Catch.length > 0,
    }
    if (st.next) st.edges.push({ to: st.next, label: '', kind: 'next' })
    if (Array.isArray(s?.Choices)) {
      s.Choices.forEach((c: Raw) => {
        if (typeof c?.Next === 'string') st.edges.push({ to: c.Next, ...shorten(ruleText(c)), kind: 'choice' })
      })
      if (typeof s?.Default === 'string') st.edges.push({ to: s.Default, label: 'Default', kind: 'default' })
    }
    if (Array.isArray(s?.Catch)) {
      for (const c of s.Catch) {
        if (typeof c?.Next === 'string') {
          const errs = Array.isArray(c.ErrorEquals) ? c.ErrorEquals.join(', ') : ''
          st.edges.push({ to: c.Next, ...shorten(errs || 'catch'), kind: 'catch' })
        }
      }
    }
    if (Array.isArray(s?.Branches)) st.branches = s.Branches.map(scope)
    const proc = s?.ItemProcessor ?? s?.Iterator
    if (proc) {
      st.processor = scope(proc)
      st.mode = String(proc?.ProcessorConfig?.Mode ?? 'INLINE').toUpperCase()
      if (typeof s?.MaxConcurrency === 'number') st.maxConcurrency = s.MaxConcurrency
    }
    states.push(st)
  }
  return { startAt: String(r?.StartAt ?? ''), states }
}

// Longest suffix first: GreaterThanEquals also ends in Equals.
const ops: [string, string][] = [
  ['GreaterThanEquals', '>='],
  ['LessThanEquals', '<='],
  ['Equals', '=='],
  ['GreaterThan', '>'],
  ['LessThan', '<'],
  ['Matches', 'matches'],
]

/**
 * ruleText is a Choice rule in short form: `$.tier == "gold"`,
 * `$.n >= 10 && $.ok == true`, `!($.x present)`, or a JSONata
 * Condition without its `{% %}`.
 */
export function ruleText(r: Raw): string {
  if (!r || typeof r !== 'object') return '?'
  if (typeof r.Condition === 'string') return r.Condition.replace(/^\s*\{%\s*/, '').replace(/\s*%\}\s*$/, '')
  if (Array.isArray(r.And)) return r.And.map(nested).join(' && ')
  if (Array.isArray(r.Or)) return r.Or.map(nested).join(' || ')
  if (r.Not) return '!' + nested(r.Not)
  const v = typeof r.Variable === 'string' ? r.Variable : '?'
  for (const [key, val] of Object.entries<Raw>(r)) {
    if (key === 'Variable' || key === 'Next' || key === 'Comment' || key === 'Assign' || key === 'Output') continue
    if (key === 'IsPresent') return `${v} ${val ? 'present' : 'absent'}`
    if (key === 'IsNull') return `${v} ${val ? '== null' : '!= null'}`
    const is = key.match(/^Is(String|Numeric|Boolean|Timestamp)$/)
    if (is) return `${v} ${val ? 'is' : 'is not'} ${is[1].toLowerCase()}`
    const path = key.endsWith('Path')
    const base = path ? key.slice(0, -4) : key
    for (const [suffix, op] of ops) {
      if (base.endsWith(suffix) && /^(String|Numeric|Boolean|Timestamp)/.test(base)) {
        return `${v} ${op} ${path ? String(val) : JSON.stringify(val)}`
      }
    }
  }
  return v
}

function nested(r: Raw): string {
  const t = ruleText(r)
  return r && (Array.isArray(r.And) || Array.isArray(r.Or)) ? `(${t})` : t
}

/** allStates lists every state of every scope, depth first. */
export function allStates(s: AslScope): AslState[] {
  const out: AslState[] = []
  const walk = (sc: AslScope) => {
    for (const st of sc.states) {
      out.push(st)
      st.branches?.forEach(walk)
      if (st.processor) walk(st.processor)
    }
  }
  walk(s)
  return out
}

/** processorOf finds the processor of the Map state named name anywhere in s. */
export function processorOf(s: AslScope, name: string): AslScope | undefined {
  return allStates(s).find((st) => st.name === name && st.processor)?.processor
}
