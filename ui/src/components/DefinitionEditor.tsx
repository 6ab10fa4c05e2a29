import { useEffect, useMemo, useState } from 'react'
import * as api from '../api'
import { useAction } from '../action'
import { parseDefinition } from '../asl'
import { jsonSyntaxError } from '../json'
import { Graph } from './Graph'
import { ErrorBox } from './Status'

// Editing a machine's definition: the text is checked as it is typed —
// first as JSON here, then by the server (POST /v1/state-machines:validate,
// every diagnostic with its location) — and the graph of what is typed is
// drawn beside it (the last text that was JSON). Saving makes a new version (PUT /v1/state-machines/{name}).

const VALIDATE_DELAY_MS = 350

export function DefinitionEditor({
  machine,
  type,
  definition,
  onSaved,
  onCancel,
}: {
  machine: string
  type: api.MachineType
  definition: string
  onSaved: (m: api.StateMachine) => void
  onCancel: () => void
}) {
  const [text, setText] = useState(() => pretty(definition))
  const syntax = useMemo(() => jsonSyntaxError(text), [text])
  const [check, setCheck] = useState<{ text: string; result: string; diagnostics: api.Diagnostic[] } | { text: string; error: unknown }>()
  // The text last checked: the graph follows it, not every keystroke.
  const [settled, setSettled] = useState(text)
  const { busy, error, run } = useAction()
  useEffect(() => {
    if (syntax) return
    let live = true
    const h = setTimeout(() => {
      setSettled(text)
      api
        .validateDefinition(text, type)
        .then((r) => live && setCheck({ text, ...r }))
        .catch((e) => live && setCheck({ text, error: e }))
    }, VALIDATE_DELAY_MS)
    return () => {
      live = false
      clearTimeout(h)
    }
  }, [text, syntax, type])
  const current = check && check.text === text ? check : undefined
  const diagnostics = current && 'diagnostics' in current ? current.diagnostics : []
  const valid = !syntax && current && 'result' in current && current.result === 'OK'
  const preview = useMemo(() => parseDefinition(settled), [settled])
  const save = () => run(async () => onSaved(await api.updateStateMachine(machine, text)))
  return (
    <div className="start-form editor" data-testid="definition-editor">
      <h3>Edit the definition</h3>
      <div className="editor-split">
        <div className="editor-text">
          <textarea
            className={'json-editor' + (syntax || diagnostics.length ? ' invalid' : '')}
            value={text}
            onChange={(e) => setText(e.target.value)}
            spellCheck={false}
            rows={Math.min(28, Math.max(10, text.split('\n').length + 1))}
            data-testid="definition-text"
          />
          <div data-testid="definition-check" aria-live="polite">
            {syntax ? (
              <div className="error">Invalid JSON: {syntax}</div>
            ) : !current ? (
              <div className="muted small">Checking…</div>
            ) : 'error' in current ? (
              <ErrorBox error={current.error} />
            ) : valid ? (
              <div className="ok" data-testid="definition-valid">
                Valid definition
              </div>
            ) : (
              <ul className="diagnostics" data-testid="diagnostics">
                {diagnostics.map((d, i) => (
                  <li key={i} data-code={d.code}>
                    <span className="pill status-failed">{d.severity || 'ERROR'}</span> <code className="mono small">{d.location || '/'}</code> {d.message}{' '}
                    <span className="muted small">({d.code})</span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
        <div className="editor-preview">{preview ? <Graph definition={preview} maxHeight="60vh" /> : <div className="muted pad">No graph: the text is not JSON.</div>}</div>
      </div>
      <ErrorBox error={error} />
      <div className="row">
        <button className="primary" disabled={!valid || busy} onClick={save} data-testid="definition-save">
          {busy ? 'Saving…' : 'Save as a new version'}
        </button>
        <button onClick={onCancel}>Cancel</button>
      </div>
    </div>
  )
}

function pretty(def: string): string {
  try {
    return JSON.stringify(JSON.parse(def), null, 2)
  } catch {
    return def
  }
}
