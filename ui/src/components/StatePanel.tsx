import { useState } from 'react'
import { StateInfo } from '../analysis'
import { fmtDuration, fmtTime, duration } from '../format'
import { statusLabel } from './Graph'
import { CopyButton } from './CopyButton'
import { JsonView } from './JsonView'
import { Link, paths } from '../router'

// The selected state: each visit's input, output, error and cause, timing
// and retries (task attempts).
export function StatePanel({ name, info, onClose }: { name: string; info?: StateInfo; onClose: () => void }) {
  const [idx, setIdx] = useState(0)
  const visits = info?.visits ?? []
  const v = visits[Math.min(idx, visits.length - 1)]
  // The child execution a states:startExecution task of this visit started (its last attempt's).
  const child = v && [...v.attempts].reverse().find((a) => a.child)?.child
  return (
    <div className="state-panel" data-testid="state-panel">
      <div className="row">
        <h3 className="state-title">{name}</h3>
        <span className={'pill status-' + (info?.status ?? 'notReached')}>{statusLabel(info?.status ?? 'notReached')}</span>
        <span className="spacer" />
        <button className="link" onClick={onClose}>
          close
        </button>
      </div>
      {!v ? (
        <p className="muted">This state was not reached.</p>
      ) : (
        <>
          {visits.length > 1 && (
            <div className="row">
              <label>
                Visit{' '}
                <select value={idx} onChange={(e) => setIdx(Number(e.target.value))} data-testid="visit-select">
                  {visits.map((x, i) => (
                    <option key={i} value={i}>
                      #{i + 1} · {x.status} · event {x.enteredId}
                    </option>
                  ))}
                </select>
              </label>
              <span className="muted">{visits.length} visits</span>
            </div>
          )}
          <dl className="facts">
            <dt>Type</dt>
            <dd>{v.type}</dd>
            <dt>Entered</dt>
            <dd>{fmtTime(v.enteredAt)}</dd>
            <dt>Exited</dt>
            <dd>{fmtTime(v.exitedAt)}</dd>
            <dt>Duration</dt>
            <dd>{fmtDuration(duration(v.enteredAt, v.exitedAt))}</dd>
            <dt>Retries</dt>
            <dd data-testid="retry-count">{v.retries}</dd>
            {child && (
              <>
                <dt>Child execution</dt>
                <dd>
                  <Link to={paths.execution(child)} data-testid="state-child" title={child}>
                    {child.slice(child.lastIndexOf(':') + 1)} ›
                  </Link>
                </dd>
              </>
            )}
            {v.attempts.some((a) => a.token) && (
              <>
                <dt>Task token</dt>
                <dd className="mono small" style={{ wordBreak: 'break-all' }}>
                  {v.attempts[v.attempts.length - 1].token ?? '—'} {v.attempts[v.attempts.length - 1].token && <CopyButton text={v.attempts[v.attempts.length - 1].token!} />}
                </dd>
              </>
            )}
          </dl>
          {(v.error || v.cause) && (
            <div className="failure" data-testid="state-error">
              <div>
                <strong>Error:</strong> <span className="mono">{v.error}</span>
              </div>
              {v.cause && (
                <div>
                  <strong>Cause:</strong> <span className="mono pre">{v.cause}</span>
                </div>
              )}
            </div>
          )}
          <div data-testid="state-input">
            <JsonView text={v.input ?? ''} label="Input" />
          </div>
          <div data-testid="state-output">
            <JsonView text={v.output ?? ''} label="Output" />
          </div>
          {v.attempts.length > 0 && (
            <div className="attempts">
              <h4>Task attempts</h4>
              <table className="tbl small">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Result</th>
                    <th>Scheduled</th>
                    <th>Duration</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {v.attempts.map((a, i) => (
                    <tr key={i} className={a.result === 'succeeded' ? 'good' : a.result ? 'bad' : ''}>
                      <td>{i + 1}</td>
                      <td>{a.result ?? (a.callback && v.status === 'waiting' ? 'waiting for callback' : 'running')}</td>
                      <td>{fmtTime(a.scheduledAt)}</td>
                      <td>{fmtDuration(duration(a.scheduledAt, a.endedAt))}</td>
                      <td className="mono">{a.error ? `${a.error}${a.cause ? ': ' + a.cause : ''}` : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {v.attempts[v.attempts.length - 1].parameters && <JsonView text={v.attempts[v.attempts.length - 1].parameters!} label="Task parameters (last attempt)" openDepth={1} />}
            </div>
          )}
        </>
      )}
    </div>
  )
}
