import { useCallback, useState } from 'react'

/**
 * useAction runs one user action at a time (a form's submit): busy while it
 * runs, and the error it threw, cleared when the next run starts.
 */
export function useAction(): { busy: boolean; error: unknown; run: (f: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const run = useCallback(async (f: () => Promise<void>) => {
    setBusy(true)
    setError(undefined)
    try {
      await f()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run }
}
