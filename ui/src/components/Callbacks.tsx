import { useEffect, useMemo, useState } from 'react'
import * as api from '../api'
import { useAction } from '../action'
import { Visit } from '../analysis'
import { fmtDuration, fmtTime } from '../format'
import { jsonSyntaxError } from '../json'
import { CopyButton } from './CopyButton'
import { ErrorBox } from './Status'

// Tasks that wait for a callback (.waitForTaskToken): each with its token,
// how long it has waited, its deadlines, and a form that answers it through
// the TaskService routes (POST /v1/tasks:success|failure|heartbeat), with
// the same bearer token as every other call.

function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(h)
  }, [ms])
  return now
}

export function Callbacks({ visits, onAnswered }: { visits: Visit[]; onAnswered: () => void }) {
  if (visits.length === 0) return null
  return (
    <div className="callbacks" data-testid="callbacks">
      <h3>
        Waiting for callback <span className="muted small">({visits.length})</span>
      </h3>
      {visits.slice(0, 20).map((v) => (
        <CallbackTask key={v.enteredId + ':' + v.attempts.length} visit={v} onAnswered={onAnswered} />
      ))}
      {visits.length > 20 && <p className="muted small">and {visits.length - 20} more; answer them with the API (see docs/api.md).</p>}
    </div>
  )
}

function CallbackTask({ visit, onAnswered }: { visit: Visit; onAnswered: () => void }) {
  const a = visit.attempts[visit.attempts.length - 1]
  const now = useNow()
  const [mode, setMode] = useState<'success' | 'failure' | 'heartbeat'>('success')
  const [output, setOutput] = useState('{\n  \n}')
  const [errName, setErrName] = useState('')
  const [cause, setCause] = useState('')
  const { busy, error, run } = useAction()
  const [sent, setSent] = useState('')
  const [beat, setBeat] = useState<number>()
  const syntax = useMemo(() => jsonSyntaxError(output), [output])
  const since = Date.parse(a.scheduledAt)
  const timeoutAt = a.timeoutSeconds ? since + a.timeoutSeconds * 1000 : undefined
  const heartbeatAt = a.heartbeatSeconds ? (beat ?? since) + a.heartbeatSeconds * 1000 : undefined
  const token = a.token
  const send = () =>
    run(async () => {
      if (!token) return
      setSent('')
      if (mode === 'success') {
        await api.sendTaskSuccess(token, output)
        setSent('Success sent.')
      } else if (mode === 'failure') {
        await api.sendTaskFailure(token, errName.trim(), cause)
        setSent('Failure sent.')
      } else {
        await api.sendTaskHeartbeat(token)
        setBeat(Date.now())
        setSent('Heartbeat sent.')
      }
      onAnswered()
    })
  const left = (t: number) => (t > now ? `in ${fmtDuration(t - now)}` : `${fmtDuration(now - t)} ago`)
  return (
    <div className="callback" data-testid="callback" data-state={visit.state}>
      <div className="row">
        <strong className="callback-state">{visit.state}</strong>
        <span className="pill status-waiting">waiting for callback</span>
        <span className="muted small">{a.resource}</span>
      </div>
      <dl className="facts">
        <dt>Task token</dt>
        <dd>
          {token ? (
            <>
              <code className="mono small callback-token" data-testid="callback-token">
                {token}
              </code>{' '}
              <CopyButton text={token} />
            </>
          ) : (
            <span className="muted">not in the task's parameters (pass "$$.Task.Token" in Parameters to see it here)</span>
          )}
        </dd>
        <dt>Waiting for</dt>
        <dd data-testid="callback-waited">
          {fmtDuration(now - since)} <span className="muted small">(since {fmtTime(a.scheduledAt)})</span>
        </dd>
        <dt>Times out</dt>
        <dd data-testid="callback-timeout">{timeoutAt ? `${fmtTime(new Date(timeoutAt).toISOString())} (${left(timeoutAt)})` : <span className="muted">no TimeoutSeconds</span>}</dd>
        <dt>Heartbeat</dt>
        <dd data-testid="callback-heartbeat">
          {heartbeatAt ? (
            <>
              every {a.heartbeatSeconds} s; next due by {fmtTime(new Date(heartbeatAt).toISOString())} ({left(heartbeatAt)})
              {beat === undefined && <span className="muted small"> unless a worker sent one</span>}
            </>
          ) : (
            <span className="muted">no HeartbeatSeconds</span>
          )}
        </dd>
      </dl>
      {token && (
        <div className="callback-form">
          <div className="row" role="radiogroup" aria-label="answer">
            {(['success', 'failure', 'heartbeat'] as const).map((m) => (
              <label key={m} className="radio">
                <input type="radio" name={'mode-' + visit.enteredId} checked={mode === m} onChange={() => setMode(m)} data-testid={'callback-mode-' + m} /> {m === 'success' ? 'Send success' : m === 'failure' ? 'Send failure' : 'Send heartbeat'}
              </label>
            ))}
          </div>
          {mode === 'success' && (
            <>
              <label className="block">Output (JSON)</label>
              <textarea
                className={'json-editor' + (syntax ? ' invalid' : '')}
                value={output}
                onChange={(e) => setOutput(e.target.value)}
                spellCheck={false}
                rows={Math.min(14, Math.max(4, output.split('\n').length + 1))}
                data-testid="callback-output"
              />
              {syntax ? (
                <div className="error" data-testid="callback-output-error">
                  Invalid JSON: {syntax}
                </div>
              ) : (
                <div className="ok small">Valid JSON</div>
              )}
            </>
          )}
          {mode === 'failure' && (
            <div className="row">
              <label>
                Error <input value={errName} onChange={(e) => setErrName(e.target.value)} placeholder="e.g. Payment.Declined" data-testid="callback-error" />
              </label>
              <label className="grow">
                Cause <input value={cause} onChange={(e) => setCause(e.target.value)} placeholder="optional" data-testid="callback-cause" />
              </label>
            </div>
          )}
          <ErrorBox error={error} />
          <div className="row">
            <button className="primary" disabled={busy || (mode === 'success' && !!syntax)} onClick={send} data-testid="callback-send">
              {busy ? 'Sending…' : mode === 'success' ? 'Send success' : mode === 'failure' ? 'Send failure' : 'Send heartbeat'}
            </button>
            {sent && (
              <span className="ok" data-testid="callback-sent">
                {sent}
              </span>
            )}
          </div>
        </div>
      )}
    </div>
  )
}
