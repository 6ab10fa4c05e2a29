// The shape of an ASL definition as the graph needs it.

export interface AslState {
  name: string
  type: string
  next?: string
  end: boolean
  /** Choice targets and Catch targets, labelled. */
  edges: { to: string; label: string; kind: 'next' | 'choice' | 'default' | 'catch' }[]
  branches?: AslScope[] // Parallel
  processor?: AslScope // Map
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
      s.Choices.forEach((c: Raw, i: number) => {
        if (typeof c?.Next === 'string') st.edges.push({ to: c.Next, label: `rule ${i + 1}`, kind: 'choice' })
      })
      if (typeof s?.Default === 'string') st.edges.push({ to: s.Default, label: 'default', kind: 'default' })
    }
    if (Array.isArray(s?.Catch)) {
      for (const c of s.Catch) {
        if (typeof c?.Next === 'string') {
          const errs = Array.isArray(c.ErrorEquals) ? c.ErrorEquals.join(', ') : ''
          st.edges.push({ to: c.Next, label: 'catch ' + errs, kind: 'catch' })
        }
      }
    }
    if (Array.isArray(s?.Branches)) st.branches = s.Branches.map(scope)
    const proc = s?.ItemProcessor ?? s?.Iterator
    if (proc) st.processor = scope(proc)
    states.push(st)
  }
  return { startAt: String(r?.StartAt ?? ''), states }
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
