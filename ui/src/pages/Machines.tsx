import { useEffect, useMemo, useState } from 'react'
import * as api from '../api'
import { useAction } from '../action'
import { parseDefinition } from '../asl'
import { DefinitionEditor } from '../components/DefinitionEditor'
import { ExpressOutcome } from '../components/ExpressOutcome'
import { Graph } from '../components/Graph'
import { JsonView } from '../components/JsonView'
import { ErrorBox } from '../components/Status'
import { fmtTime } from '../format'
import { jsonSyntaxError } from '../json'
import { Link, navigate, paths } from '../router'
import { ExecutionsList } from './ExecutionsList'
import { AliasesTab, DiffTab, VersionsTab, useVersions } from './MachineVersions'

export function MachinesPage() {
  const [items, setItems] = useState<api.StateMachine[]>()
  const [next, setNext] = useState('')
  const [error, setError] = useState<unknown>()
  const load = (token: string) =>
    api
      .listStateMachines(token)
      .then((r) => {
        setItems((old) => (token ? [...(old ?? []), ...r.items] : r.items))
        setNext(r.next)
      })
      .catch(setError)
  useEffect(() => {
    document.title = 'State machines · Stepwise'
    load('')
  }, [])
  return (
    <div className="page">
      <h2>State machines</h2>
      <ErrorBox error={error} />
      <table className="tbl">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Latest version</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {items?.map((m) => (
            <tr key={m.name}>
              <td>
                <Link to={paths.machine(m.name)}>{m.name}</Link>
              </td>
              <td>{m.type}</td>
              <td>{m.version}</td>
              <td>{fmtTime(m.created)}</td>
            </tr>
          ))}
          {items && items.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No state machines yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {next && <button onClick={() => load(next)}>Load more</button>}
    </div>
  )
}

type Tab = 'graph' | 'definition' | 'versions' | 'aliases' | 'diff'

const tabs: [Tab, string][] = [
  ['graph', 'Graph'],
  ['definition', 'Definition'],
  ['versions', 'Versions'],
  ['aliases', 'Aliases'],
  ['diff', 'Diff'],
]

/** tabParam reads the page's ?tab= (a link to a machine's Versions or Aliases). */
function tabParam(v: string | null): Tab {
  return tabs.find(([t]) => t === v)?.[0] ?? 'graph'
}

export function MachinePage({ name }: { name: string }) {
  const [latest, setLatest] = useState<api.StateMachine>()
  const [version, setVersion] = useState(0)
  const [shown, setShown] = useState<api.StateMachine>()
  const [error, setError] = useState<unknown>()
  const [tab, setTab] = useState<Tab>(() => tabParam(new URLSearchParams(window.location.search).get('tab')))
  // the Diff tab's first definition, when a version's Diff button opened it
  const [diffFrom, setDiffFrom] = useState<string>()
  const published = useVersions(name)
  const [starting, setStarting] = useState(() => new URLSearchParams(window.location.search).has('start'))
  const [editing, setEditing] = useState(false)
  useEffect(() => {
    document.title = `${name} · Stepwise`
    api
      .describeStateMachine(name)
      .then((m) => {
        setLatest(m)
        setShown(m)
        setVersion(m.version)
      })
      .catch(setError)
  }, [name])
  useEffect(() => {
    if (!latest || version === shown?.version) return
    api.describeStateMachine(name, version).then(setShown).catch(setError)
  }, [name, version, latest, shown?.version])
  const def = useMemo(() => (shown ? parseDefinition(shown.definition) : undefined), [shown])
  if (error) return <ErrorBox error={error} />
  if (!latest || !shown) return <div className="muted">Loading…</div>
  const express = latest.type === 'EXPRESS'
  return (
    <div className="page">
      <div className="crumbs">
        <Link to={paths.machines()}>State machines</Link> /
      </div>
      <div className="row header">
        <h2 className="machine-name">{name}</h2>
        <span className={'pill machine-type ' + latest.type.toLowerCase()} data-testid="machine-type" title="The machine's type">
          {latest.type}
        </span>
        <label>
          Version{' '}
          <select value={version} onChange={(e) => setVersion(Number(e.target.value))} data-testid="version-select">
            {Array.from({ length: latest.version }, (_, i) => latest.version - i).map((v) => (
              <option key={v} value={v}>
                v{v}
                {v === latest.version ? ' (latest)' : ''}
                {published.versions
                  ?.filter((p) => p.revision === v)
                  .map((p) => ` · version ${p.number}`)
                  .join('')}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">created {fmtTime(shown.created)}</span>
        <span className="spacer" />
        <button onClick={() => setEditing(!editing)} data-testid="edit-open">
          Edit definition
        </button>
        <button className="primary" onClick={() => setStarting(!starting)} data-testid="start-open">
          {express ? 'Start (sync)' : 'Start execution'}
        </button>
      </div>
      <div className="muted mono small">{shown.arn}</div>
      {starting && <StartForm machine={name} sync={express} onCancel={() => setStarting(false)} />}
      {editing && (
        <DefinitionEditor
          machine={name}
          type={latest.type}
          definition={shown.definition}
          onCancel={() => setEditing(false)}
          onSaved={(m) => {
            setEditing(false)
            setLatest(m)
            setShown(m)
            setVersion(m.version)
          }}
        />
      )}
      <div className="tabs">
        {tabs.map(([t, label]) => (
          <button key={t} className={'tab' + (tab === t ? ' active' : '')} onClick={() => setTab(t)} data-testid={'tab-' + t}>
            {label}
          </button>
        ))}
      </div>
      {tab === 'graph' && def && <Graph definition={def} maxHeight="80vh" />}
      {tab === 'definition' && <JsonView text={shown.definition} label={`Definition v${shown.version}`} openDepth={99} />}
      {tab === 'versions' && (
        <VersionsTab
          machine={name}
          latest={latest}
          data={published}
          onView={(revision) => {
            setVersion(revision)
            setTab('graph')
          }}
          onDiff={(from) => {
            setDiffFrom(from)
            setTab('diff')
          }}
        />
      )}
      {tab === 'aliases' && <AliasesTab machine={name} data={published} />}
      {tab === 'diff' && <DiffTab key={diffFrom} machine={name} latest={latest} data={published} from={diffFrom} />}
      <h3>Executions</h3>
      {express ? (
        <div className="note" data-testid="express-note">
          This is an EXPRESS machine: its executions run in memory and are not listed or kept, as on AWS.{' '}
          {latest.logging ? (
            <>
              What they do is in its CloudWatch Logs group{' '}
              <span className="mono small" data-testid="express-log-group">
                {latest.logging.logGroupArn}
              </span>{' '}
              (level {latest.logging.level}
              {latest.logging.includeExecutionData ? ', with execution data' : ''}), read with the CloudWatch Logs API.
            </>
          ) : (
            <>Its logging is off, so nothing of them is kept.</>
          )}{' '}
          Use <strong>Start (sync)</strong> to run one and see its outcome.
        </div>
      ) : (
        <ExecutionsList machine={name} showMachineFilter={false} />
      )}
    </div>
  )
}

// StartForm starts an execution and goes to its page, or, for an EXPRESS
// machine (sync), runs one to its end and shows its outcome here: it has
// no page.
function StartForm({ machine, sync, onCancel }: { machine: string; sync: boolean; onCancel: () => void }) {
  const [input, setInput] = useState(() => {
    const saved = sessionStorage.getItem('stepwise.startInput')
    sessionStorage.removeItem('stepwise.startInput')
    return saved ?? '{\n  \n}'
  })
  const [name, setName] = useState('')
  const [outcome, setOutcome] = useState<api.Execution>()
  const { busy, error, run } = useAction()
  const syntax = useMemo(() => jsonSyntaxError(input), [input])
  const submit = () =>
    !syntax &&
    run(async () => {
      if (sync) {
        setOutcome(undefined)
        setOutcome(await api.startSyncExecution(machine, name.trim(), input))
        return
      }
      const x = await api.startExecution(machine, name.trim(), input)
      navigate(paths.execution(x.arn))
    })
  return (
    <div className="start-form" data-testid="start-form">
      <h3>Start an execution</h3>
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="generated when empty" data-testid="start-name" />
      </label>
      <label className="block">Input (JSON)</label>
      <textarea
        className={'json-editor' + (syntax ? ' invalid' : '')}
        value={input}
        onChange={(e) => setInput(e.target.value)}
        spellCheck={false}
        rows={Math.min(20, Math.max(6, input.split('\n').length + 1))}
        data-testid="start-input"
        onKeyDown={(e) => {
          if (e.key === 'Tab') {
            e.preventDefault()
            const t = e.currentTarget
            const s = t.selectionStart
            setInput(input.slice(0, s) + '  ' + input.slice(t.selectionEnd))
            requestAnimationFrame(() => t.setSelectionRange(s + 2, s + 2))
          }
        }}
      />
      {syntax ? (
        <div className="error" data-testid="start-input-error">
          Invalid JSON: {syntax}
        </div>
      ) : (
        <div className="ok">Valid JSON</div>
      )}
      <ErrorBox error={error} />
      <div className="row">
        <button className="primary" disabled={!!syntax || busy} onClick={submit} data-testid="start-submit">
          {busy ? (sync ? 'Running…' : 'Starting…') : sync ? 'Start (sync)' : 'Start'}
        </button>
        <button onClick={onCancel}>Cancel</button>
      </div>
      {outcome && <ExpressOutcome x={outcome} testId="sync-outcome" errorTestId="sync-error" />}
    </div>
  )
}
