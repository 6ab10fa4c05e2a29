import { Status } from '../api'

export function StatusBadge({ status }: { status: Status }) {
  return <span className={'pill exec-' + status.toLowerCase()} data-status={status}>{status.replace('_', ' ')}</span>
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null
  return (
    <div className="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </div>
  )
}
