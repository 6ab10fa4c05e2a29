import { memo, useEffect, useMemo, useState } from 'react'
import { Background, Controls, Edge, Handle, MarkerType, Node, NodeProps, Position, ReactFlow, ReactFlowProvider } from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import type { ElkNode, ElkExtendedEdge } from 'elkjs/lib/elk-api'
import { AslScope, AslState } from '../asl'
import { StateInfo, StateStatus } from '../analysis'

// The state machine drawn as a graph: ELK lays it out (Parallel branches and
// Map processors are nested groups), React Flow draws it. Labels are text.

const W = 180
const H = 44

interface Data extends Record<string, unknown> {
  label: string
  kind: string
  status: StateStatus | ''
  retries: number
  visits: number
  group: boolean
  selected: boolean
}

type GNode = Node<Data>

export function statusLabel(s: StateStatus | ''): string {
  return (
    {
      running: 'running',
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

const StateNode = memo(function StateNode({ data }: NodeProps<GNode>) {
  const cls = ['sw-node', data.group ? 'sw-group' : 'sw-state', data.status ? 'status-' + data.status : '', data.selected ? 'selected' : '', 'kind-' + data.kind]
  return (
    <div className={cls.join(' ')} data-state={data.label} data-status={data.status} title={data.label}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="sw-node-head">
        <span className="sw-node-label">{data.label}</span>
        {data.retries > 0 && (
          <span className="badge retry" title={`${data.retries} retries`}>
            ↻ {data.retries}
          </span>
        )}
        {data.visits > 1 && (
          <span className="badge visits" title={`entered ${data.visits} times`}>
            ×{data.visits}
          </span>
        )}
      </div>
      {!data.group && <div className="sw-node-kind">{data.kind}</div>}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  )
})

const Terminal = memo(function Terminal({ data }: NodeProps<GNode>) {
  return (
    <div className={'sw-terminal ' + (data.status ? 'status-' + data.status : '')}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      {data.label}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  )
})

const nodeTypes = { state: StateNode, terminal: Terminal }

interface Built {
  elk: ElkNode
  meta: Map<string, { label: string; kind: string; group: boolean; state?: string; terminal?: boolean }>
  edges: { id: string; source: string; target: string; label: string; kind: string }[]
}

function build(root: AslScope): Built {
  const meta: Built['meta'] = new Map()
  const edges: Built['edges'] = []
  const layoutOpts = {
    'elk.algorithm': 'layered',
    'elk.direction': 'DOWN',
    'elk.layered.spacing.nodeNodeBetweenLayers': '48',
    'elk.spacing.nodeNode': '32',
    'elk.padding': '[top=40,left=16,bottom=16,right=16]',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  }
  const scopeNodes = (sc: AslScope, prefix: string, top: boolean): { children: ElkNode[]; edges: ElkExtendedEdge[] } => {
    const children: ElkNode[] = []
    const elkEdges: ElkExtendedEdge[] = []
    const id = (name: string) => 's:' + name
    const add = (src: string, dst: string, label: string, kind: string) => {
      const eid = `e:${src}->${dst}:${kind}:${edges.length}`
      edges.push({ id: eid, source: src, target: dst, label, kind })
      elkEdges.push({ id: eid, sources: [src], targets: [dst] })
    }
    const names = new Set(sc.states.map((s) => s.name))
    if (top) {
      meta.set('start', { label: 'Start', kind: 'Start', group: false, terminal: true })
      children.push({ id: 'start', width: 70, height: 30 })
      if (names.has(sc.startAt)) add('start', id(sc.startAt), '', 'next')
    }
    let hasEnd = false
    for (const st of sc.states) {
      children.push(stateNode(st, prefix))
      for (const e of st.edges) if (names.has(e.to)) add(id(st.name), id(e.to), e.label, e.kind)
      if (st.end && top) {
        hasEnd = true
        add(id(st.name), 'end', '', 'next')
      }
    }
    if (top && hasEnd) {
      meta.set('end', { label: 'End', kind: 'End', group: false, terminal: true })
      children.push({ id: 'end', width: 70, height: 30 })
    }
    return { children, edges: elkEdges }
  }
  const stateNode = (st: AslState, prefix: string): ElkNode => {
    const nid = 's:' + st.name
    if (st.branches || st.processor) {
      meta.set(nid, { label: st.name, kind: st.type, group: true, state: st.name })
      const groups: ElkNode[] = []
      if (st.branches) {
        st.branches.forEach((b, i) => {
          const bid = `b:${st.name}:${i}`
          meta.set(bid, { label: `Branch ${i + 1}`, kind: 'Branch', group: true })
          const inner = scopeNodes(b, prefix + st.name + '/', false)
          groups.push({ id: bid, layoutOptions: layoutOpts, children: inner.children, edges: inner.edges })
        })
        return { id: nid, layoutOptions: { ...layoutOpts, 'elk.direction': 'RIGHT', 'elk.layered.spacing.nodeNodeBetweenLayers': '24' }, children: groups }
      }
      const inner = scopeNodes(st.processor!, prefix + st.name + '/', false)
      return { id: nid, layoutOptions: layoutOpts, children: inner.children, edges: inner.edges }
    }
    meta.set(nid, { label: st.name, kind: st.type, group: false, state: st.name })
    return { id: nid, width: W, height: H }
  }
  const top = scopeNodes(root, '', true)
  return { elk: { id: 'root', layoutOptions: { ...layoutOpts, 'elk.padding': '[top=16,left=16,bottom=16,right=16]' }, children: top.children, edges: top.edges }, meta, edges }
}

// Parallel branches stacked side by side: a group whose children are laid
// out left to right need no edges between them.

let elkPromise: Promise<{ layout(g: ElkNode): Promise<ElkNode> }> | undefined
function elk() {
  elkPromise ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default())
  return elkPromise
}

export interface GraphProps {
  definition: AslScope
  states?: Map<string, StateInfo>
  selected?: string
  onSelect?: (state: string) => void
  height?: number
}

export function Graph(props: GraphProps) {
  return (
    <ReactFlowProvider>
      <GraphInner {...props} />
    </ReactFlowProvider>
  )
}

function GraphInner({ definition, states, selected, onSelect, height = 520 }: GraphProps) {
  const built = useMemo(() => build(definition), [definition])
  const [laid, setLaid] = useState<{ nodes: GNode[]; error?: string } | undefined>()
  useEffect(() => {
    let live = true
    elk()
      .then((e) => e.layout(structuredClone(built.elk)))
      .then((g) => {
        if (!live) return
        const nodes: GNode[] = []
        const walk = (n: ElkNode, parent?: string) => {
          for (const c of n.children ?? []) {
            const m = built.meta.get(c.id)!
            nodes.push({
              id: c.id,
              type: m.terminal ? 'terminal' : 'state',
              position: { x: c.x ?? 0, y: c.y ?? 0 },
              parentId: parent,
              extent: parent ? 'parent' : undefined,
              draggable: false,
              connectable: false,
              selectable: !m.terminal && m.kind !== 'Branch',
              style: { width: c.width, height: c.height },
              data: { label: m.label, kind: m.kind, status: '', retries: 0, visits: 0, group: m.group, selected: false, state: m.state },
            })
            walk(c, c.id)
          }
        }
        walk(g)
        setLaid({ nodes })
      })
      .catch((err) => live && setLaid({ nodes: [], error: String(err) }))
    return () => {
      live = false
    }
  }, [built])
  const nodes = useMemo(() => {
    if (!laid) return []
    return laid.nodes.map((n) => {
      const state = (n.data as Data & { state?: string }).state
      const info = state ? states?.get(state) : undefined
      const status: StateStatus | '' = states ? (info ? info.status : state ? 'notReached' : '') : ''
      const terminalStatus = n.type === 'terminal' && states ? '' : status
      return {
        ...n,
        data: { ...n.data, status: terminalStatus, retries: info?.retries ?? 0, visits: info?.visits.length ?? 0, selected: !!state && state === selected },
      }
    })
  }, [laid, states, selected])
  const edges: Edge[] = useMemo(
    () =>
      built.edges.map((e) => ({
        id: e.id,
        source: e.source,
        target: e.target,
        label: e.label || undefined,
        className: 'edge-' + e.kind,
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
        zIndex: 5,
      })),
    [built],
  )
  if (laid?.error) return <div className="error">Layout failed: {laid.error}</div>
  return (
    <div className="graph" style={{ height }} data-testid="graph">
      {!laid && <div className="muted pad">Laying out…</div>}
      {laid && (
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={{ padding: 0.08, maxZoom: 1.2 }}
          minZoom={0.1}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          onNodeClick={(_, n) => {
            const st = (n.data as Data & { state?: string }).state
            if (st && onSelect) onSelect(st)
          }}
          proOptions={{ hideAttribution: true }}
        >
          <Background gap={16} size={1} />
          <Controls showInteractive={false} />
        </ReactFlow>
      )}
    </div>
  )
}

export function Legend() {
  const list: StateStatus[] = ['succeeded', 'retried', 'caught', 'failed', 'running', 'cancelled', 'notReached']
  return (
    <div className="legend">
      {list.map((s) => (
        <span key={s} className={'legend-item status-' + s}>
          <span className="swatch" /> {statusLabel(s)}
        </span>
      ))}
    </div>
  )
}
