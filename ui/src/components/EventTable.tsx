import { useMemo, useRef, useState } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { HistoryEvent } from '../api'
import { childExecutionOf } from '../analysis'
import { Link, paths } from '../router'
import { fmtDuration, fmtTime } from '../format'
import { JsonView } from './JsonView'

// The history as a virtualised table: only the rows in view are in the DOM,
// so 25,000 events scroll smoothly.

export interface EventFilter {
  type: string
  state: string
  fromId?: number
  toId?: number
}

export function EventTable({
  events,
  eventState,
  filter,
  setFilter,
}: {
  events: HistoryEvent[]
  eventState: string[]
  filter: EventFilter
  setFilter: (f: EventFilter) => void
}) {
  const start = events.length ? Date.parse(events[0].timestamp) : 0
  const types = useMemo(() => [...new Set(events.map((e) => e.type))].sort(), [events])
  const stateNames = useMemo(() => [...new Set(eventState.filter(Boolean))].sort(), [eventState])
  const rows = useMemo(() => {
    const out: number[] = []
    for (let i = 0; i < events.length; i++) {
      const e = events[i]
      if (filter.type && e.type !== filter.type) continue
      if (filter.state && eventState[i] !== filter.state) continue
      if (filter.fromId !== undefined && e.id < filter.fromId) continue
      if (filter.toId !== undefined && e.id > filter.toId) continue
      out.push(i)
    }
    return out
  }, [events, eventState, filter])
  const [open, setOpen] = useState<number | undefined>()
  const parent = useRef<HTMLDivElement>(null)
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => parent.current, estimateSize: () => 30, overscan: 20 })
  const openEvent = open !== undefined ? events[open] : undefined
  const openChild = openEvent && childExecutionOf(openEvent)
  return (
    <div className="events">
      <div className="filters">
        <label>
          Type{' '}
          <select value={filter.type} onChange={(e) => setFilter({ ...filter, type: e.target.value })} data-testid="event-type-filter">
            <option value="">all</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          State{' '}
          <select value={filter.state} onChange={(e) => setFilter({ ...filter, state: e.target.value })} data-testid="event-state-filter">
            <option value="">all</option>
            {stateNames.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        {(filter.fromId !== undefined || filter.toId !== undefined) && (
          <span className="chip">
            events {filter.fromId ?? 1}–{filter.toId ?? '…'}{' '}
            <button className="link" onClick={() => setFilter({ ...filter, fromId: undefined, toId: undefined })}>
              ✕
            </button>
          </span>
        )}
        <span className="muted" data-testid="event-count">
          {rows.length === events.length ? `${events.length} events` : `${rows.length} of ${events.length} events`}
        </span>
      </div>
      <div className="event-grid">
        <div className="event-row head">
          <span className="c-id">ID</span>
          <span className="c-type">Type</span>
          <span className="c-state">State</span>
          <span className="c-time">Timestamp</span>
          <span className="c-el">Elapsed</span>
        </div>
        <div className="event-scroll" ref={parent} data-testid="event-scroll">
          <div style={{ height: v.getTotalSize(), position: 'relative' }}>
            {v.getVirtualItems().map((item) => {
              const i = rows[item.index]
              const e = events[i]
              const cls = /Failed|TimedOut|Aborted/.test(e.type) ? 'bad' : /Succeeded/.test(e.type) ? 'good' : ''
              return (
                <div
                  key={item.key}
                  className={'event-row ' + cls + (open === i ? ' open' : '')}
                  style={{ position: 'absolute', top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}
                  onClick={() => setOpen(open === i ? undefined : i)}
                  data-event-id={e.id}
                >
                  <span className="c-id">{e.id}</span>
                  <span className="c-type">{e.type}</span>
                  <span className="c-state">{eventState[i]}</span>
                  <span className="c-time">{fmtTime(e.timestamp)}</span>
                  <span className="c-el">{fmtDuration(Date.parse(e.timestamp) - start)}</span>
                </div>
              )
            })}
          </div>
        </div>
      </div>
      {openEvent && (
        <div className="event-details">
          <div className="row">
            <strong>
              Event {openEvent.id}: {openEvent.type}
            </strong>
            <span className="spacer" />
            <button className="link" onClick={() => setOpen(undefined)}>
              close
            </button>
          </div>
          {openChild && (
            <div className="row">
              Child execution:{' '}
              <Link to={paths.execution(openChild)} data-testid="event-child" title={openChild}>
                {openChild.slice(openChild.lastIndexOf(':') + 1)} ›
              </Link>
            </div>
          )}
          <JsonView text={openEvent.details} label="details" openDepth={3} />
        </div>
      )}
    </div>
  )
}
