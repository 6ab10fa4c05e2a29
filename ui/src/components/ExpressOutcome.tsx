import { useCallback, useState } from 'react'
import * as api from '../api'
import { fmtTime } from '../format'
import { Link, paths } from '../router'
import { JsonView } from './JsonView'
import { StatusBadge } from './Status'

/**
 * isExpress tells an express execution's ARN (`:express:`) from a standard
 * one's (`:execution:`). An express execution has no history, and
 * DescribeExecution refuses its ARN, so it has no page: what its row holds
 * (an EXPRESS child of a distributed Map) is shown where it is listed.
 */
export const isExpress = (arn: string) => arn.includes(':express:')

/**
 * ExpressOutcome is all there is of an ended express execution: its status,
 * start and stop, ARN, and its output or its error and cause (with its input
 * beside them when withInput). testId and errorTestId name the box and its
 * failure for tests.
 */
export function ExpressOutcome({
  x,
  withInput = false,
  testId,
  errorTestId,
}: {
  x: api.Execution
  withInput?: boolean
  testId: string
  errorTestId: string
}) {
  const result =
    x.status === 'SUCCEEDED' ? (
      <JsonView text={x.output} label="Output" openDepth={3} />
    ) : (
      <div className="failure" data-testid={errorTestId}>
        <strong>{x.error}</strong> {x.cause && <span className="pre">{x.cause}</span>}
      </div>
    )
  return (
    <div className="sync-outcome" data-testid={testId} data-status={x.status}>
      <div className="row">
        <StatusBadge status={x.status} />
        <span className="muted small">
          {fmtTime(x.startTime)} – {fmtTime(x.stopTime)}
        </span>
        <span className="mono small">{x.arn}</span>
      </div>
      {withInput ? (
        <div className="io">
          <JsonView text={x.input} label="Input" openDepth={3} />
          {result}
        </div>
      ) : (
        result
      )}
    </div>
  )
}

/**
 * useOpenRows keeps which express children's rows are open (by ARN), and
 * opens or closes one.
 */
export function useOpenRows(): [ReadonlySet<string>, (arn: string) => void] {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set())
  const toggle = useCallback(
    (arn: string) =>
      setOpen((o) => {
        const n = new Set(o)
        if (!n.delete(arn)) n.add(arn)
        return n
      }),
    [],
  )
  return [open, toggle]
}

/** ExpressToggle is an express child's name, which opens or closes its row. */
export function ExpressToggle({ x, open, toggle }: { x: api.Execution; open: boolean; toggle: (arn: string) => void }) {
  return (
    <button className="link child-toggle" aria-expanded={open} onClick={() => toggle(x.arn)} title={x.arn}>
      {open ? '▾' : '▸'} {x.name}
    </button>
  )
}

/**
 * ExpressNoPage is what an express execution's address shows: it has no
 * page (DescribeExecution and GetExecutionHistory refuse its ARN, as on
 * AWS), but a distributed Map's express child is on its Map Run's page.
 */
export function ExpressNoPage({ arn }: { arn: string }) {
  return (
    <div className="page">
      <h2 className="mono">{arn.split(':').at(-2)}</h2>
      <div className="note" data-testid="express-no-page">
        <span className="mono small">{arn}</span> is an express execution. An express execution keeps no history, so it has no page; an EXPRESS
        child of a distributed Map is listed on its Map Run&apos;s page, where its row shows its input and its output or error.
      </div>
    </div>
  )
}

/**
 * ExecutionName is an execution's name in a table: a link to its page, or,
 * for an express one (it has no page), the toggle that opens its row
 * (ExpressRow, below it). title, if any, is the link's.
 */
export function ExecutionName({ x, open, toggle, title }: { x: api.Execution; open: ReadonlySet<string>; toggle: (arn: string) => void; title?: string }) {
  if (isExpress(x.arn)) return <ExpressToggle x={x} open={open.has(x.arn)} toggle={toggle} />
  return (
    <Link to={paths.execution(x.arn)} title={title}>
      {x.name}
    </Link>
  )
}

/** ExpressRow is an open express execution's table row: all there is of it, across colSpan columns. */
export function ExpressRow({ x, open, colSpan }: { x: api.Execution; open: ReadonlySet<string>; colSpan: number }) {
  if (!open.has(x.arn)) return null
  return (
    <tr className="child-detail">
      <td colSpan={colSpan}>
        <ExpressOutcome x={x} withInput testId="express-child" errorTestId="express-child-error" />
      </td>
    </tr>
  )
}
