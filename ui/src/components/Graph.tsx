import { memo, PointerEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api'
import { AslEdge, AslScope, AslState } from '../asl'
import { Iteration, StateInfo, StateStatus } from '../analysis'

// The state machine drawn as the AWS console draws it: top to bottom,
// Parallel branches side by side in their order, Map processors framed
// with their iteration count, Choice edges labelled with their rule, Catch
// edges dashed with the error names, and the current state(s) of a running
// execution highlighted and kept in view.
//
// The layout is bottom-up: every scope (the machine, each branch, each
// processor) is laid out on its own by ELK's layered algorithm with its
// nested Parallel and Map states as boxes of a known size, so a branch
// never moves out of its place. The drawing is plain HTML and SVG in a
// scrolling panel, scaled to the panel's width but never below a readable
// zoom (READABLE_ZOOM): a tall machine scrolls instead of shrinking.

/** Font sizes at zoom 1 (see styles.css: .sw-node-label, .sw-edge-label). */
export const STATE_LABEL_PX = 14
export const EDGE_LABEL_PX = 13
/** The smallest zoom the graph opens at: every label stays at 12 px or more. */
export const READABLE_ZOOM = 12 / EDGE_LABEL_PX
const MAX_FIT_ZOOM = 1
const ZOOM_STEPS = [0.25, 0.35, 0.5, 0.65, 0.8, 12 / EDGE_LABEL_PX, 1, 1.2, 1.5, 2]

const STATE_H = 52
const MIN_W = 150
const MAX_W = 280
const HEADER = 44 // header of a Parallel or Map frame
const BRANCH_HEADER = 26
const PAD = 14
const BRANCH_GAP = 20
const TERM_W = 72
const TERM_H = 30
const LABEL_H = 20

type Kind = 'state' | 'group' | 'branch' | 'terminal'

interface Box {
  id: string
  x: number
  y: number
  w: number
  h: number
  kind: Kind
  label: string
  state?: AslState
  /** For groups and branches: boxes relative to this box. */
  children?: Box[]
  /** Edges inside this box, relative to it. */
  edges?: LaidEdge[]
}

interface LaidEdge {
  id: string
  kind: AslEdge['kind']
  label: string
  title?: string
  points: { x: number; y: number }[]
  labelAt?: { x: number; y: number; w: number; h: number }
}

interface Laid {
  w: number
  h: number
  boxes: Box[]
  edges: LaidEdge[]
}

let measurer: CanvasRenderingContext2D | null | undefined
function textWidth(text: string, px: number, weight = 400): number {
  measurer ??= document.createElement('canvas').getContext('2d')
  if (!measurer) return text.length * px * 0.6
  measurer.font = `${weight} ${px}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif`
  return measurer.measureText(text).width
}

let elkPromise: Promise<{ layout(g: ElkNode): Promise<ElkNode> }> | undefined
function elk() {
  elkPromise ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default())
  return elkPromise
}

const layered = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.spacing.nodeNode': '36',
  'elk.layered.spacing.nodeNodeBetweenLayers': '44',
  'elk.spacing.edgeNode': '18',
  'elk.spacing.edgeEdge': '12',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.spacing.edgeNodeBetweenLayers': '18',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.padding': `[top=${PAD},left=${PAD},bottom=${PAD},right=${PAD}]`,
}

function stateWidth(st: AslState): number {
  const w = Math.max(textWidth(st.name, STATE_LABEL_PX, 600), textWidth(subtitle(st), 13)) + 56
  return Math.round(Math.min(MAX_W, Math.max(MIN_W, w)))
}

/** subtitle is the second line of a state: its type, and for a Task the resource's last part. */
function subtitle(st: AslState): string {
  if (st.type === 'Task' && st.resource) {
    const r = st.resource.replace(/^arn:aws:states:::/, '')
    const short = r.startsWith('arn:') ? r.slice(r.lastIndexOf(':') + 1) : r
    return `Task · ${short}`
  }
  return st.type
}

async function layoutScope(sc: AslScope, path: string, top: boolean): Promise<Laid> {
  const boxes = new Map<string, Box>()
  const id = (name: string) => path + 's:' + name
  for (const st of sc.states) {
    const nid = id(st.name)
    if (st.branches && st.branches.length > 0) {
      const laid = await Promise.all(st.branches.map((b, i) => layoutScope(b, `${nid}/b${i}/`, false)))
      const h = Math.max(...laid.map((l) => l.h)) + BRANCH_HEADER
      let x = PAD
      const children: Box[] = laid.map((l, i) => {
        const b: Box = {
          id: `${nid}/b${i}`,
          x,
          y: HEADER,
          w: l.w,
          h,
          kind: 'branch',
          label: `Branch ${i + 1}`,
          children: l.boxes.map((c) => ({ ...c, y: c.y + BRANCH_HEADER })),
          edges: l.edges.map((e) => shift(e, 0, BRANCH_HEADER)),
        }
        x += l.w + BRANCH_GAP
        return b
      })
      const w = Math.max(x - BRANCH_GAP + PAD, headerWidth(st))
      boxes.set(nid, { id: nid, x: 0, y: 0, w, h: HEADER + h + PAD, kind: 'group', label: st.name, state: st, children })
    } else if (st.processor) {
      const l = await layoutScope(st.processor, `${nid}/p/`, false)
      const w = Math.max(l.w + 2 * PAD, headerWidth(st))
      const dx = (w - l.w) / 2
      boxes.set(nid, {
        id: nid,
        x: 0,
        y: 0,
        w,
        h: HEADER + l.h + PAD,
        kind: 'group',
        label: st.name,
        state: st,
        children: l.boxes.map((c) => ({ ...c, x: c.x + dx, y: c.y + HEADER })),
        edges: l.edges.map((e) => shift(e, dx, HEADER)),
      })
    } else {
      boxes.set(nid, { id: nid, x: 0, y: 0, w: stateWidth(st), h: STATE_H, kind: 'state', label: st.name, state: st })
    }
  }
  const names = new Set(sc.states.map((s) => s.name))
  const edges: (ElkExtendedEdge & { kind: AslEdge['kind']; label: string; title?: string })[] = []
  const add = (src: string, dst: string, e: Pick<AslEdge, 'kind' | 'label' | 'title'>) => {
    const eid = `${path}e${edges.length}`
    edges.push({
      id: eid,
      sources: [src],
      targets: [dst],
      kind: e.kind,
      label: e.label,
      title: e.title,
      labels: e.label ? [{ id: eid + 'l', text: e.label, width: Math.ceil(textWidth(e.label, EDGE_LABEL_PX)) + 12, height: LABEL_H }] : [],
    })
  }
  if (top) {
    boxes.set('start', { id: 'start', x: 0, y: 0, w: TERM_W, h: TERM_H, kind: 'terminal', label: 'Start' })
    if (names.has(sc.startAt)) add('start', id(sc.startAt), { kind: 'next', label: '' })
  }
  let hasEnd = false
  for (const st of sc.states) {
    for (const e of st.edges) if (names.has(e.to)) add(id(st.name), id(e.to), e)
    if (st.end && top) {
      hasEnd = true
      add(id(st.name), 'end', { kind: 'next', label: '' })
    }
  }
  if (hasEnd) boxes.set('end', { id: 'end', x: 0, y: 0, w: TERM_W, h: TERM_H, kind: 'terminal', label: 'End' })

  const g = await (await elk()).layout({
    id: path + 'root',
    layoutOptions: layered,
    children: [...boxes.values()].map((b) => ({ id: b.id, width: b.w, height: b.h })),
    edges: edges.map(({ id, sources, targets, labels }) => ({ id, sources, targets, labels })),
  })
  for (const c of g.children ?? []) {
    const b = boxes.get(c.id)!
    b.x = c.x ?? 0
    b.y = c.y ?? 0
  }
  const byId = new Map(edges.map((e) => [e.id, e]))
  const laidEdges: LaidEdge[] = (g.edges ?? []).map((e) => {
    const src = byId.get(e.id)!
    const points: { x: number; y: number }[] = []
    for (const s of (e as ElkExtendedEdge).sections ?? []) {
      if (points.length === 0) points.push(s.startPoint)
      points.push(...(s.bendPoints ?? []), s.endPoint)
    }
    const l = e.labels?.[0]
    return {
      id: e.id,
      kind: src.kind,
      label: src.label,
      title: src.title,
      points,
      labelAt: l ? { x: l.x ?? 0, y: l.y ?? 0, w: l.width ?? 0, h: l.height ?? 0 } : undefined,
    }
  })
  return { w: g.width ?? 0, h: g.height ?? 0, boxes: [...boxes.values()], edges: laidEdges }
}

function headerWidth(st: AslState): number {
  return Math.ceil(Math.max(textWidth(st.name, STATE_LABEL_PX, 600), textWidth(st.type + ' · 10000 iterations', 13)) + 2 * PAD + 60)
}

function shift(e: LaidEdge, dx: number, dy: number): LaidEdge {
  return {
    ...e,
    points: e.points.map((p) => ({ x: p.x + dx, y: p.y + dy })),
    labelAt: e.labelAt && { ...e.labelAt, x: e.labelAt.x + dx, y: e.labelAt.y + dy },
  }
}

/** Flat is the layout in absolute coordinates, drawn back to front. */
interface Flat {
  w: number
  h: number
  frames: (Box & { depth: number })[]
  leaves: Box[]
  edges: LaidEdge[]
  /** Where each state is (by name), for following the current one. */
  where: Map<string, Box>
}

function flatten(l: Laid): Flat {
  const out: Flat = { w: l.w, h: l.h, frames: [], leaves: [], edges: [], where: new Map() }
  const walk = (boxes: Box[], edges: LaidEdge[], dx: number, dy: number, depth: number) => {
    for (const e of edges) out.edges.push(shift(e, dx, dy))
    for (const b of boxes) {
      const abs = { ...b, x: b.x + dx, y: b.y + dy }
      if (b.state) out.where.set(b.state.name, abs)
      if (b.kind === 'group' || b.kind === 'branch') {
        out.frames.push({ ...abs, depth })
        walk(b.children ?? [], b.edges ?? [], abs.x, abs.y, depth + 1)
      } else {
        out.leaves.push(abs)
      }
    }
  }
  walk(l.boxes, l.edges, 0, 0, 0)
  return out
}

export function statusLabel(s: StateStatus | ''): string {
  return (
    {
      running: 'running',
      waiting: 'waiting for callback',
      failed: 'failed',
      caught: 'caught',
      retried: 'retried',
      succeeded: 'succeeded',
      cancelled: 'cancelled',
      notReached: 'not reached',
      '': '',
    } as const
  )[s]
}

interface NodeView {
  status: StateStatus | ''
  retries: number
  visits: number
  selected: boolean
}

function nodeClass(base: string, st: AslState, v: NodeView): string {
  const current = v.status === 'running' || v.status === 'waiting'
  return ['sw-node', base, 'kind-' + st.type, v.status ? 'status-' + v.status : '', v.selected ? 'selected' : '', current ? 'current' : ''].join(' ')
}

const place = (b: Box) => ({ left: b.x, top: b.y, width: b.w, height: b.h })

const StateBox = memo(function StateBox({ box, view, onSelect }: { box: Box; view: NodeView; onSelect?: (s: string) => void }) {
  const st = box.state!
  return (
    <div
      className={nodeClass('sw-state', st, view)}
      style={place(box)}
      data-state={st.name}
      data-status={view.status}
      data-id={box.id}
      title={view.status ? `${st.name} — ${statusLabel(view.status)}` : st.name}
      onClick={() => onSelect?.(st.name)}
      onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onSelect?.(st.name))}
      role="button"
      tabIndex={onSelect ? 0 : undefined}
    >
      <div className="sw-node-head">
        <span className="sw-node-label">{st.name}</span>
        <Badges view={view} />
      </div>
      <div className="sw-node-kind">{view.status === 'waiting' ? 'waiting for callback' : subtitle(st)}</div>
    </div>
  )
})

function Badges({ view }: { view: NodeView }) {
  return (
    <>
      {view.retries > 0 && (
        <span className="badge retry" title={`${view.retries} retries`}>
          ↻ {view.retries}
        </span>
      )}
      {view.visits > 1 && (
        <span className="badge visits" title={`entered ${view.visits} times`}>
          ×{view.visits}
        </span>
      )}
    </>
  )
}

function Frame({
  box,
  view,
  iterations,
  onSelect,
}: {
  box: Box & { depth: number }
  view?: NodeView
  iterations?: Iteration[]
  onSelect?: (s: string) => void
}) {
  if (box.kind === 'branch') {
    return (
      <div className="sw-node sw-group kind-Branch" style={place(box)} data-branch={box.label} data-id={box.id}>
        <div className="sw-branch-label">{box.label}</div>
      </div>
    )
  }
  const st = box.state!
  const v = view ?? { status: '', retries: 0, visits: 0, selected: false }
  let sub = st.type
  if (st.processor) {
    if (st.mode === 'DISTRIBUTED') sub += ' (distributed)'
    if (iterations) {
      const failed = iterations.filter((it) => it.status === 'failed').length
      sub += ` · ${iterations.length} iteration${iterations.length === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}`
    } else if (st.maxConcurrency) {
      sub += ` · max concurrency ${st.maxConcurrency}`
    }
  } else if (st.branches) {
    sub += ` · ${st.branches.length} branches`
  }
  return (
    <div
      className={nodeClass('sw-group', st, v)}
      style={place(box)}
      data-state={st.name}
      data-status={v.status}
      data-id={box.id}
      data-iterations={iterations?.length}
    >
      <div
        className="sw-group-head"
        onClick={() => onSelect?.(st.name)}
        onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onSelect?.(st.name))}
        role="button"
        tabIndex={onSelect ? 0 : undefined}
        title={st.name}
      >
        <div className="sw-node-head">
          <span className="sw-node-label">{st.name}</span>
          <Badges view={v} />
        </div>
        <div className="sw-node-kind" data-testid="group-sub">
          {sub}
        </div>
      </div>
    </div>
  )
}

function edgePath(points: { x: number; y: number }[]): string {
  if (points.length === 0) return ''
  // Orthogonal segments with slightly rounded corners.
  let d = `M ${points[0].x} ${points[0].y}`
  for (let i = 1; i < points.length; i++) {
    const p = points[i]
    const prev = points[i - 1]
    const next = points[i + 1]
    if (!next) {
      d += ` L ${p.x} ${p.y}`
      break
    }
    const r = Math.min(6, Math.hypot(p.x - prev.x, p.y - prev.y) / 2, Math.hypot(next.x - p.x, next.y - p.y) / 2)
    const ax = p.x - Math.sign(p.x - prev.x) * r
    const ay = p.y - Math.sign(p.y - prev.y) * r
    const bx = p.x + Math.sign(next.x - p.x) * r
    const by = p.y + Math.sign(next.y - p.y) * r
    d += ` L ${ax} ${ay} Q ${p.x} ${p.y} ${bx} ${by}`
  }
  return d
}

export interface GraphProps {
  definition: AslScope
  /** What happened to each state (execution page); absent on the machine page. */
  states?: Map<string, StateInfo>
  /** Map iterations by Map state name (execution page). */
  iterations?: Map<string, Iteration[]>
  selected?: string
  onSelect?: (state: string) => void
  /** The tallest the panel grows before it scrolls (CSS); defaults to 65% of the window's height. */
  maxHeight?: string
}

export function Graph({ definition, states, iterations, selected, onSelect, maxHeight }: GraphProps) {
  const [flat, setFlat] = useState<Flat>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    let live = true
    setError(undefined)
    layoutScope(definition, '', true)
      .then((l) => live && setFlat(flatten(l)))
      .catch((e) => live && setError(String(e)))
    return () => {
      live = false
    }
  }, [definition])

  const scroller = useRef<HTMLDivElement>(null)
  const [avail, setAvail] = useState(0)
  useEffect(() => {
    const el = scroller.current
    if (!el) return
    const ro = new ResizeObserver(() => setAvail(el.clientWidth))
    ro.observe(el)
    setAvail(el.clientWidth)
    return () => ro.disconnect()
  }, [flat])
  const [userZoom, setUserZoom] = useState<number>()
  const fitZoom = flat && avail ? Math.min(MAX_FIT_ZOOM, Math.max(READABLE_ZOOM, (avail - 2) / flat.w)) : 1
  const zoom = userZoom ?? fitZoom
  const view = useCallback(
    (name: string): NodeView => {
      const info = states?.get(name)
      return {
        status: states ? (info ? info.status : 'notReached') : '',
        retries: info?.retries ?? 0,
        visits: info?.visits.length ?? 0,
        selected: name === selected,
      }
    },
    [states, selected],
  )
  const current = useMemo(() => {
    const out: string[] = []
    for (const [name, info] of states ?? []) if (info.status === 'running' || info.status === 'waiting') out.push(name)
    return out
  }, [states])
  // Keep a current leaf state in view: the innermost is the most precise.
  const currentKey = current.join('\n')
  const reveal = useCallback(
    (name: string) => {
      const el = scroller.current
      const b = flat?.where.get(name)
      if (!el || !b) return
      const top = b.y * zoom
      const bottom = (b.y + Math.min(b.h, STATE_H * 2)) * zoom
      const left = b.x * zoom
      const right = (b.x + Math.min(b.w, MAX_W)) * zoom
      const vis = { top: el.scrollTop, bottom: el.scrollTop + el.clientHeight, left: el.scrollLeft, right: el.scrollLeft + el.clientWidth }
      if (top < vis.top || bottom > vis.bottom) el.scrollTop = Math.max(0, (top + bottom) / 2 - el.clientHeight / 2)
      if (left < vis.left || right > vis.right) el.scrollLeft = Math.max(0, (left + right) / 2 - el.clientWidth / 2)
    },
    [flat, zoom],
  )
  useEffect(() => {
    if (!flat || !currentKey) return
    const leaves = current.filter((n) => flat.where.get(n)?.kind === 'state')
    reveal((leaves.length ? leaves : current)[0])
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [flat, currentKey])

  // Ctrl + wheel (and trackpad pinch) zooms; a plain wheel scrolls.
  useEffect(() => {
    const el = scroller.current
    if (!el) return
    const on = (e: WheelEvent) => {
      if (!e.ctrlKey) return
      e.preventDefault()
      setUserZoom((z) => clampZoom((z ?? fitZoom) * (e.deltaY < 0 ? 1.1 : 1 / 1.1)))
    }
    el.addEventListener('wheel', on, { passive: false })
    return () => el.removeEventListener('wheel', on)
  }, [fitZoom, flat])

  // Dragging the background pans.
  const drag = useRef<{ x: number; y: number; left: number; top: number } | null>(null)
  const onPointerDown = (e: PointerEvent) => {
    const el = scroller.current
    if (!el || e.button !== 0 || (e.target as HTMLElement).closest('.sw-state, .sw-group-head, .sw-edge-label')) return
    drag.current = { x: e.clientX, y: e.clientY, left: el.scrollLeft, top: el.scrollTop }
    el.setPointerCapture(e.pointerId)
  }
  const onPointerMove = (e: PointerEvent) => {
    const el = scroller.current
    const d = drag.current
    if (!el || !d) return
    el.scrollLeft = d.left - (e.clientX - d.x)
    el.scrollTop = d.top - (e.clientY - d.y)
  }
  const onPointerUp = () => {
    drag.current = null
  }

  if (error) return <div className="error">Layout failed: {error}</div>
  const w = flat ? flat.w * zoom : 0
  const h = flat ? flat.h * zoom : 0
  const scrollbar = flat && w > avail ? 14 : 0
  const height = flat ? Math.max(90, Math.ceil(h) + 2 + scrollbar) : 120
  const step = (dir: 1 | -1) => {
    const z = zoom
    const next = dir > 0 ? ZOOM_STEPS.find((s) => s > z + 0.001) : [...ZOOM_STEPS].reverse().find((s) => s < z - 0.001)
    setUserZoom(next ?? z)
  }
  return (
    <div className="graph-wrap">
      <div className="graph-toolbar">
        {current.length > 0 && (
          <span className="graph-current" data-testid="graph-current">
            Now:{' '}
            {current.map((n) => (
              <button
                key={n}
                className={'chip status-' + states?.get(n)?.status}
                onClick={() => {
                  onSelect?.(n)
                  reveal(n)
                }}
              >
                {n}
              </button>
            ))}
          </span>
        )}
        <span className="spacer" />
        <button className="zoom" onClick={() => step(-1)} title="Zoom out (or Ctrl + wheel)" data-testid="graph-zoom-out">
          −
        </button>
        <span className="zoom-level muted small" data-testid="graph-zoom">
          {Math.round(zoom * 100)}%
        </span>
        <button className="zoom" onClick={() => step(1)} title="Zoom in (or Ctrl + wheel)" data-testid="graph-zoom-in">
          +
        </button>
        <button className="zoom" onClick={() => setUserZoom(undefined)} title="Fit to the panel's width, at a readable size" data-testid="graph-fit">
          Fit
        </button>
        {flat && (
          <button
            className="zoom"
            onClick={() => setUserZoom(clampZoom(Math.min(avail / flat.w, ((scroller.current?.clientHeight ?? 400) - 4) / flat.h, 1)))}
            title="Show the whole machine (labels may get small)"
            data-testid="graph-whole"
          >
            Whole
          </button>
        )}
      </div>
      <div
        className="graph"
        ref={scroller}
        style={{ height, maxHeight: maxHeight ?? '65vh' }}
        data-testid="graph"
        data-zoom={zoom}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        {!flat && <div className="muted pad">Laying out…</div>}
        {flat && (
          <div className="sw-sizer" style={{ width: w, height: h }}>
            <div className="sw-canvas" style={{ width: flat.w, height: flat.h, transform: `scale(${zoom})` }}>
              {flat.frames.map((b) => (
                <Frame key={b.id} box={b} view={b.state ? view(b.state.name) : undefined} iterations={b.state ? iterations?.get(b.state.name) : undefined} onSelect={onSelect} />
              ))}
              <svg className="sw-edges" width={flat.w} height={flat.h}>
                <defs>
                  {(['next', 'choice', 'default', 'catch'] as const).map((k) => (
                    <marker key={k} id={'arrow-' + k} className={'arrow-' + k} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                      <path d="M 0 0 L 10 5 L 0 10 z" />
                    </marker>
                  ))}
                </defs>
                {flat.edges.map((e) => (
                  <path key={e.id} className={'sw-edge edge-' + e.kind} d={edgePath(e.points)} markerEnd={`url(#arrow-${e.kind})`} />
                ))}
              </svg>
              {flat.leaves.map((b) =>
                b.kind === 'terminal' ? (
                  <div key={b.id} className="sw-terminal" style={place(b)} data-id={b.id}>
                    {b.label}
                  </div>
                ) : (
                  <StateBox key={b.id} box={b} view={view(b.state!.name)} onSelect={onSelect} />
                ),
              )}
              {flat.edges.map(
                (e) =>
                  e.labelAt &&
                  e.label && (
                    <div
                      key={e.id}
                      className={'sw-edge-label edge-' + e.kind}
                      style={{ left: e.labelAt.x, top: e.labelAt.y, width: e.labelAt.w, height: e.labelAt.h }}
                      title={e.title ?? e.label}
                      data-kind={e.kind}
                    >
                      {e.label}
                    </div>
                  ),
              )}
            </div>
          </div>
        )}
      </div>
    </div>
  )
}

function clampZoom(z: number): number {
  return Math.min(2, Math.max(0.1, z))
}

export function Legend() {
  const list: StateStatus[] = ['succeeded', 'retried', 'caught', 'failed', 'running', 'waiting', 'cancelled', 'notReached']
  return (
    <div className="legend">
      {list.map((s) => (
        <span key={s} className={'legend-item status-' + s}>
          <span className="swatch" /> {statusLabel(s)}
        </span>
      ))}
      <span className="legend-item">
        <span className="line catch" /> catch
      </span>
    </div>
  )
}
