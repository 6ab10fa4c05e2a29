import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import * as api from '../api'
import { useAction } from '../action'
import { lineDiff } from '../diff'
import { ErrorBox } from '../components/Status'
import { fmtTime } from '../format'
import { formatJSON } from '../json'

// The machine page's Versions, Aliases and Diff tabs: published versions
// (each names a revision, the machine page's "Version" select), the aliases
// that route new executions to them by weight, and a line diff of two
// definitions.

/** useVersions loads a machine's published versions and aliases; reload after a change. */
export function useVersions(machine: string) {
  const [versions, setVersions] = useState<api.Version[]>()
  const [aliases, setAliases] = useState<api.Alias[]>()
  const [error, setError] = useState<unknown>()
  const reload = useCallback(
    () =>
      Promise.all([api.listVersions(machine), api.listAliases(machine)])
        .then(([vs, as]) => {
          setVersions(vs)
          setAliases(as)
          setError(undefined)
        })
        .catch(setError),
    [machine],
  )
  useEffect(() => {
    reload()
  }, [reload])
  return { versions, aliases, error, reload }
}

type Loaded = ReturnType<typeof useVersions>

/** routeText is an alias's routing as text: "v2 80% · v1 20%". */
function routeText(routing: api.AliasRoute[]): string {
  return routing.map((r) => `v${r.version} ${r.weight}%`).join(' · ')
}

export function VersionsTab({
  machine,
  latest,
  data,
  onView,
  onDiff,
}: {
  machine: string
  latest: api.StateMachine
  data: Loaded
  onView: (revision: number) => void
  onDiff: (from: string) => void
}) {
  const [description, setDescription] = useState('')
  const { busy, error, run } = useAction()
  const { versions, aliases } = data
  const publish = () =>
    run(async () => {
      await api.publishVersion(machine, description.trim())
      setDescription('')
      await data.reload()
    })
  const newest = versions?.[0]
  return (
    <div data-testid="versions">
      <div className="row publish">
        <input
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          placeholder="description (optional)"
          maxLength={256}
          data-testid="publish-description"
        />
        <button className="primary" disabled={busy} onClick={publish} data-testid="publish-version">
          {busy ? 'Publishing…' : 'Publish version'}
        </button>
        <span className="muted small">
          {newest?.revision === latest.version
            ? `the latest revision (v${latest.version}) is published as version ${newest.number}`
            : `publishes the latest revision, v${latest.version}, as version ${(newest?.number ?? 0) + 1} or later`}
        </span>
      </div>
      <ErrorBox error={error ?? data.error} />
      <table className="tbl" data-testid="versions-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Description</th>
            <th>Created</th>
            <th>Revision</th>
            <th>Aliases</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions?.map((v) => (
            <tr key={v.number} data-testid={`version-${v.number}`}>
              <td className="mono">{v.number}</td>
              <td>{v.description}</td>
              <td>{fmtTime(v.created)}</td>
              <td>v{v.revision}</td>
              <td data-testid="version-aliases">
                {aliases
                  ?.filter((a) => a.routing.some((r) => r.version === v.number))
                  .map((a) => `${a.name} (${a.routing.find((r) => r.version === v.number)?.weight}%)`)
                  .join(', ')}
              </td>
              <td className="actions">
                <button onClick={() => onView(v.revision)} data-testid="version-graph">
                  Graph
                </button>
                <button onClick={() => onDiff('v' + v.number)} data-testid="version-diff">
                  Diff
                </button>
                <DeleteButton
                  what={`version ${v.number}`}
                  disabled={aliases?.some((a) => a.routing.some((r) => r.version === v.number))}
                  title="An alias routes to it: update or delete the alias first"
                  onDelete={async () => {
                    await api.deleteVersion(machine, v.number)
                    await data.reload()
                  }}
                />
              </td>
            </tr>
          ))}
          {versions && versions.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No published versions. Publish one to run it by number or route an alias to it.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}

/**
 * DeleteButton asks before it deletes: Delete, then "Delete <what>?" with
 * Delete and Keep (no window.confirm, which blocks the page).
 */
function DeleteButton({ what, onDelete, disabled, title }: { what: string; onDelete: () => Promise<void>; disabled?: boolean; title?: string }) {
  const [asking, setAsking] = useState(false)
  const { busy, error, run } = useAction()
  if (!asking) {
    return (
      <button disabled={disabled} title={disabled ? title : undefined} onClick={() => setAsking(true)} data-testid="delete">
        Delete
      </button>
    )
  }
  return (
    <span className="confirm" data-testid="delete-ask">
      Delete {what}?{' '}
      <button className="danger" disabled={busy} onClick={() => run(onDelete)} data-testid="delete-confirm">
        Delete
      </button>
      <button onClick={() => setAsking(false)}>Keep</button>
      <ErrorBox error={error} />
    </span>
  )
}

/** RoutingBar draws an alias's weights as a bar of one or two parts. */
function RoutingBar({ routing }: { routing: api.AliasRoute[] }) {
  return (
    <div className="routing" data-testid="alias-routing" title={routeText(routing)}>
      <div className="routing-bar">
        {routing.map((r, i) => (
          <span key={r.version} className={'routing-part routing-' + i} style={{ width: `${r.weight}%` }} />
        ))}
      </div>
      <span className="small">{routeText(routing)}</span>
    </div>
  )
}

export function AliasesTab({ machine, data }: { machine: string; data: Loaded }) {
  // the alias being edited; '' for a new one
  const [editing, setEditing] = useState<string>()
  const { versions, aliases } = data
  const noVersions = versions?.length === 0
  return (
    <div data-testid="aliases">
      <div className="row">
        <button className="primary" disabled={noVersions || editing === ''} onClick={() => setEditing('')} data-testid="alias-new">
          New alias
        </button>
        {noVersions && <span className="muted small">An alias routes to published versions: publish one first.</span>}
      </div>
      <ErrorBox error={data.error} />
      {editing === '' && versions && (
        <AliasForm machine={machine} versions={versions} onDone={() => setEditing(undefined)} onSaved={data.reload} />
      )}
      <table className="tbl" data-testid="aliases-table">
        <thead>
          <tr>
            <th>Alias</th>
            <th>Description</th>
            <th>Routing</th>
            <th>Updated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {aliases?.map((a) =>
            editing === a.name && versions ? (
              <tr key={a.name}>
                <td colSpan={5}>
                  <AliasForm machine={machine} versions={versions} alias={a} onDone={() => setEditing(undefined)} onSaved={data.reload} />
                </td>
              </tr>
            ) : (
              <tr key={a.name} data-testid={`alias-${a.name}`}>
                <td className="mono">{a.name}</td>
                <td>{a.description}</td>
                <td>
                  <RoutingBar routing={a.routing} />
                </td>
                <td>{fmtTime(a.updated)}</td>
                <td className="actions">
                  <button onClick={() => setEditing(a.name)} data-testid="alias-edit">
                    Edit
                  </button>
                  <DeleteButton
                    what={`alias ${a.name}`}
                    onDelete={async () => {
                      await api.deleteAlias(machine, a.name)
                      await data.reload()
                    }}
                  />
                </td>
              </tr>
            ),
          )}
          {aliases && aliases.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No aliases.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}

/** AliasForm creates an alias, or edits one's description and routing. */
function AliasForm({
  machine,
  versions,
  alias,
  onDone,
  onSaved,
}: {
  machine: string
  versions: api.Version[]
  alias?: api.Alias
  onDone: () => void
  onSaved: () => Promise<void>
}) {
  const [name, setName] = useState(alias?.name ?? '')
  const [description, setDescription] = useState(alias?.description ?? '')
  // weights as typed, so that an empty field is not 0
  const [routes, setRoutes] = useState<{ version: number; weight: string }[]>(
    alias?.routing.map((r) => ({ version: r.version, weight: String(r.weight) })) ?? [{ version: versions[0]?.number ?? 0, weight: '100' }],
  )
  const { busy, error, run } = useAction()
  const routing = routes.map((r) => ({ version: r.version, weight: r.weight.trim() === '' ? NaN : Number(r.weight) }))
  const problems = api.routingProblems(routing, alias ? undefined : name)
  const set = (i: number, change: Partial<{ version: number; weight: string }>) => setRoutes(routes.map((r, j) => (j === i ? { ...r, ...change } : r)))
  const save = () =>
    problems.length === 0 &&
    run(async () => {
      if (alias) await api.updateAlias(machine, alias.name, description, routing)
      else await api.createAlias(machine, name, description, routing)
      await onSaved()
      onDone()
    })
  return (
    <div className="alias-form" data-testid="alias-form">
      {!alias && (
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={80} data-testid="alias-name" />
        </label>
      )}
      <label>
        Description <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={256} data-testid="alias-description" />
      </label>
      {routes.map((r, i) => (
        <div className="row" key={i} data-testid={`alias-route-${i}`}>
          <label>
            Version{' '}
            <select value={r.version} onChange={(e) => set(i, { version: Number(e.target.value) })} data-testid="route-version">
              {versions.map((v) => (
                <option key={v.number} value={v.number}>
                  {v.number}
                  {v.description ? ` – ${v.description}` : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Weight{' '}
            <input
              className="weight"
              type="number"
              min={0}
              max={100}
              step={1}
              value={r.weight}
              onChange={(e) => set(i, { weight: e.target.value })}
              data-testid="route-weight"
            />
            %
          </label>
          {routes.length === 2 && (
            <button onClick={() => setRoutes(routes.filter((_, j) => j !== i))} data-testid="route-remove">
              Remove
            </button>
          )}
        </div>
      ))}
      {routes.length === 1 && versions.length > 1 && (
        <button
          onClick={() => {
            const other = versions.find((v) => v.number !== routes[0].version)?.number ?? 0
            setRoutes([{ ...routes[0], weight: '50' }, { version: other, weight: '50' }])
          }}
          data-testid="route-add"
        >
          Split with a second version
        </button>
      )}
      {problems.length > 0 && (
        <ul className="error problems" data-testid="alias-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <ErrorBox error={error} />
      <div className="row">
        <button className="primary" disabled={busy || problems.length > 0} onClick={save} data-testid="alias-save">
          {busy ? 'Saving…' : alias ? 'Save' : 'Create alias'}
        </button>
        <button onClick={onDone}>Cancel</button>
      </div>
    </div>
  )
}

/** DiffTab compares the definitions of two versions, or of a version and the latest revision. */
export function DiffTab({ machine, latest, data, from: initialFrom }: { machine: string; latest: api.StateMachine; data: Loaded; from?: string }) {
  const { versions } = data
  // choices by key: "latest", or "v<number>" for a published version
  const choices = useMemo(() => {
    const out: { key: string; label: string; revision: number }[] = [
      { key: 'latest', label: `latest revision (v${latest.version})`, revision: latest.version },
    ]
    for (const v of versions ?? []) out.push({ key: 'v' + v.number, label: `version ${v.number} (revision v${v.revision})`, revision: v.revision })
    return out
  }, [versions, latest.version])
  const [from, setFrom] = useState(initialFrom ?? '')
  const [to, setTo] = useState('latest')
  const fromKey = from || (versions && versions.length > 1 ? 'v' + versions[1].number : versions?.length ? 'v' + versions[0].number : 'latest')
  const [texts, setTexts] = useState<Record<number, string>>({})
  const [error, setError] = useState<unknown>()
  const revisionOf = (key: string) => choices.find((c) => c.key === key)?.revision ?? 0
  const a = revisionOf(fromKey)
  const b = revisionOf(to)
  const asked = useRef(new Set<number>())
  useEffect(() => {
    for (const rev of [a, b]) {
      if (!rev || asked.current.has(rev)) continue
      asked.current.add(rev)
      api
        .describeStateMachine(machine, rev)
        .then((m) => setTexts((t) => ({ ...t, [rev]: formatJSON(m.definition) })))
        .catch(setError)
    }
  }, [machine, a, b])
  const lines = useMemo(() => (texts[a] !== undefined && texts[b] !== undefined ? lineDiff(texts[a], texts[b]) : undefined), [texts, a, b])
  const added = lines?.filter((l) => l.op === '+').length ?? 0
  const removed = lines?.filter((l) => l.op === '-').length ?? 0
  const select = (value: string, onChange: (v: string) => void, testid: string) => (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testid}>
      {choices.map((c) => (
        <option key={c.key} value={c.key}>
          {c.label}
        </option>
      ))}
    </select>
  )
  return (
    <div data-testid="diff-tab">
      <div className="row">
        <label>From {select(fromKey, setFrom, 'diff-from')}</label>
        <label>to {select(to, setTo, 'diff-to')}</label>
        {lines && (
          <span className="small" data-testid="diff-summary">
            <span className="diff-count-add">+{added}</span> <span className="diff-count-del">−{removed}</span> lines
          </span>
        )}
      </div>
      <ErrorBox error={error} />
      {lines && a === b && <div className="muted">The same revision: nothing differs.</div>}
      {lines && (
        <div className="diff mono small" data-testid="diff">
          {lines.map((l, i) => (
            <div key={i} className={'diff-line' + (l.op === '+' ? ' diff-add' : l.op === '-' ? ' diff-del' : '')} data-op={l.op}>
              <span className="diff-no">{l.oldNo ?? ''}</span>
              <span className="diff-no">{l.newNo ?? ''}</span>
              <span className="diff-op">{l.op}</span>
              <span className="diff-text">{l.text}</span>
            </div>
          ))}
        </div>
      )}
    </div>
  )
}
