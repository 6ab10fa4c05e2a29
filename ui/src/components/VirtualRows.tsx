import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, type CSSProperties, type ReactNode } from 'react'

/**
 * VirtualRows is a table of fixed-height rows of which only those in view
 * (and `overscan` more either side) are in the DOM, in a box no taller than
 * the window less the page's header, so 10,000 rows keep the page short.
 * `columns` head it, in a row of class `rowClass` (a CSS grid, as its rows);
 * `row` draws row i with the style that places it; `onRange` hears which
 * rows are drawn, to fetch the ones not loaded yet. A row that may grow (an
 * expanded one) passes `measure` as its element's ref and leaves out the
 * style's height: it is then measured (it carries `data-index={i}`), and the
 * rows after it move down.
 */
export function VirtualRows({
  count,
  rowHeight,
  rowClass,
  columns,
  empty,
  row,
  onRange,
  overscan = 10,
  testId,
}: {
  count: number
  rowHeight: number
  rowClass: string
  columns: string[]
  empty: ReactNode
  row: (index: number, style: CSSProperties, measure: (el: Element | null) => void) => ReactNode
  onRange?: (first: number, last: number) => void
  overscan?: number
  testId?: string
}) {
  const parent = useRef<HTMLDivElement>(null)
  const v = useVirtualizer({ count, getScrollElement: () => parent.current, estimateSize: () => rowHeight, overscan })
  const items = v.getVirtualItems()
  const first = items.length ? items[0].index : 0
  const last = items.length ? items[items.length - 1].index : -1
  useEffect(() => onRange?.(first, last), [first, last, onRange])
  return (
    <div className="vgrid">
      <div className={rowClass + ' head'}>
        {columns.map((c) => (
          <span key={c}>{c}</span>
        ))}
      </div>
      <div className="vscroll" ref={parent} style={{ height: `min(${Math.max(1.5 * rowHeight, v.getTotalSize()) + 2}px, max(260px, 100vh - 210px))` }} data-testid={testId}>
        {count === 0 && empty}
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {items.map((item) => row(item.index, { position: 'absolute', top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` }, v.measureElement))}
        </div>
      </div>
    </div>
  )
}
