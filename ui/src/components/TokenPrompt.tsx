import { useEffect, useRef, useState } from 'react'
import { onTokenNeeded } from '../api'

interface Ask {
  wrong: boolean
  resolve: (token: string | null) => void
}

/** TokenPrompt asks for the server's bearer token when an API call answers 401. */
export function TokenPrompt() {
  const [ask, setAsk] = useState<Ask | null>(null)
  const [token, setToken] = useState('')
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => {
    onTokenNeeded((wrong) => new Promise((resolve) => setAsk({ wrong, resolve })))
  }, [])
  useEffect(() => {
    if (ask) input.current?.focus()
  }, [ask])
  if (!ask) return null
  const answer = (t: string | null) => {
    ask.resolve(t)
    setAsk(null)
    setToken('')
  }
  return (
    <div className="token-prompt" role="dialog" aria-labelledby="token-title">
      <form
        className="pad"
        onSubmit={(e) => {
          e.preventDefault()
          if (token.trim()) answer(token.trim())
        }}
      >
        <h3 id="token-title">This server requires a token</h3>
        <p className="muted small">
          {ask.wrong ? 'The token was not accepted. ' : ''}Enter the bearer token the server was started with (--auth-token). It is kept
          for this browser tab only.
        </p>
        <div className="row">
          <input
            ref={input}
            type="password"
            name="token"
            autoComplete="off"
            aria-label="token"
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
          <button type="submit" className="primary" disabled={!token.trim()}>
            Sign in
          </button>
          <button type="button" onClick={() => answer(null)}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  )
}
