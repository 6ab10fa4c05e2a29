import { useMemo, useRef } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { Visit } from '../analysis'
import { fmtDuration } from '../format'

// A Gantt view: one bar per state visit, from entered to exited (or now).
export function Timeline({ visits, start, end, onSelect }: { visits: Visit[]; start: number; end: number; onSelect: (s: string) => void }) {
  const span = Math.max(1, end - start)
  const parent = useRef<HTMLDivElement>(null)
  const v = useVirtualizer({ count: visits.length, getScrollElement: () => parent.current, estimateSize: () => 24, overscan: 20 })
  const ticks = useMemo(() => [0, 0.25, 0.5, 0.75, 1].map((f) => ({ f, label: fmtDuration(f * span) })), [span])
  return (
    <div className="timeline">
      <div className="tl-axis">
        <span className="tl-name" />
        <span className="tl-track">
          {ticks.map((t) => (
            <span key={t.f} className="tl-tick" style={{ left: `${t.f * 100}%` }}>
              {t.label}
            </span>
          ))}
        </span>
      </div>
      <div className="tl-scroll" ref={parent}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((item) => {
            const vis = visits[item.index]
            const a = Date.parse(vis.enteredAt) - start
            const b = (vis.exitedAt ? Date.parse(vis.exitedAt) : end) - start
            const left = (a / span) * 100
            const width = Math.max(0.3, ((b - a) / span) * 100)
            return (
              <div
                key={item.key}
                className="tl-row"
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }}
                onClick={() => onSelect(vis.state)}
              >
                <span className="tl-name" title={vis.state}>
                  {vis.state}
                </span>
                <span className="tl-track">
                  <span className={'tl-bar status-' + (vis.status === 'succeeded' && vis.retries > 0 ? 'retried' : vis.status)} style={{ left: `${left}%`, width: `${width}%` }} title={fmtDuration(b - a)} />
                  <span className="tl-dur" style={{ left: `${Math.min(left + width, 92)}%` }}>
                    {fmtDuration(b - a)}
                  </span>
                </span>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}
