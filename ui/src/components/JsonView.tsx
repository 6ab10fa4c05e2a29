import { useMemo, useState } from 'react'
import { JNode, parseJSON, stringify } from '../json'
import { CopyButton } from './CopyButton'

// JsonView shows JSON text as a foldable tree. Everything is rendered as
// React text nodes: no HTML is ever built from the data.
export function JsonView({ text, label, openDepth = 2 }: { text: string; label?: string; openDepth?: number }) {
  const parsed = useMemo(() => {
    if (!text) return { node: undefined as JNode | undefined, err: '' }
    try {
      return { node: parseJSON(text), err: '' }
    } catch (e) {
      return { node: undefined, err: (e as Error).message }
    }
  }, [text])
  const pretty = useMemo(() => (parsed.node ? stringify(parsed.node) : text), [parsed, text])
  const [raw, setRaw] = useState(false)
  return (
    <div className="json-view" data-label={label}>
      <div className="json-toolbar">
        {label && <span className="json-label">{label}</span>}
        <span className="spacer" />
        {parsed.node && (
          <button className="link" onClick={() => setRaw(!raw)}>
            {raw ? 'tree' : 'raw'}
          </button>
        )}
        <CopyButton text={pretty} />
      </div>
      {!text ? (
        <div className="muted">(none)</div>
      ) : parsed.node && !raw ? (
        <div className="json-tree">
          <Node node={parsed.node} depth={0} openDepth={openDepth} />
        </div>
      ) : (
        <pre className="json-raw">{pretty}</pre>
      )}
    </div>
  )
}

function Scalar({ node }: { node: JNode }) {
  switch (node.t) {
    case 'str':
      return <span className="j-str">{JSON.stringify(node.v)}</span>
    case 'num':
      return <span className="j-num">{node.raw}</span>
    case 'bool':
      return <span className="j-bool">{String(node.v)}</span>
    case 'null':
      return <span className="j-null">null</span>
    default:
      return null
  }
}

function Node({ node, depth, openDepth, name, last = true }: { node: JNode; depth: number; openDepth: number; name?: string; last?: boolean }) {
  const [open, setOpen] = useState(depth < openDepth)
  const key = name !== undefined ? <span className="j-key">{JSON.stringify(name)}: </span> : null
  const comma = last ? '' : ','
  if (node.t !== 'obj' && node.t !== 'arr') {
    return (
      <div className="j-line">
        {key}
        <Scalar node={node} />
        {comma}
      </div>
    )
  }
  const children: [string | undefined, JNode][] = node.t === 'obj' ? node.entries : node.items.map((v) => [undefined, v])
  const [o, c] = node.t === 'obj' ? ['{', '}'] : ['[', ']']
  if (children.length === 0) {
    return (
      <div className="j-line">
        {key}
        {o + c + comma}
      </div>
    )
  }
  return (
    <div className="j-block">
      <div className="j-line j-toggle" onClick={() => setOpen(!open)}>
        <span className="j-caret">{open ? '▾' : '▸'}</span>
        {key}
        {open ? o : `${o} … ${c}${comma}`}
        {!open && <span className="muted"> {children.length} {node.t === 'obj' ? 'keys' : 'items'}</span>}
      </div>
      {open && (
        <>
          <div className="j-children">
            {children.map(([k, v], i) => (
              <Node key={i} node={v} name={k} depth={depth + 1} openDepth={openDepth} last={i === children.length - 1} />
            ))}
          </div>
          <div className="j-line">{c + comma}</div>
        </>
      )}
    </div>
  )
}
