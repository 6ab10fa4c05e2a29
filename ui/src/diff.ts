// A line diff for comparing two definitions: the longest common
// subsequence of their lines, after the common head and tail are set
// aside (a definition's versions mostly differ in a few places).

export type DiffOp = ' ' | '-' | '+'

export interface DiffLine {
  op: DiffOp
  text: string
  /** The line's number in the old text (' ' and '-') and in the new (' ' and '+'). */
  oldNo?: number
  newNo?: number
}

/**
 * maxCells bounds the LCS table (rows × columns of the part that differs):
 * beyond it the differing middle is shown as removed then added, which is
 * still a correct diff, only not the shortest.
 */
const maxCells = 4_000_000

/** lineDiff returns the lines of a and b as removed, added or kept. */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a.split('\n')
  const y = b.split('\n')
  let head = 0
  while (head < x.length && head < y.length && x[head] === y[head]) head++
  let tail = 0
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++
  const xm = x.slice(head, x.length - tail)
  const ym = y.slice(head, y.length - tail)

  const ops: DiffOp[] = []
  for (let i = 0; i < head; i++) ops.push(' ')
  ops.push(...middle(xm, ym))
  for (let i = 0; i < tail; i++) ops.push(' ')

  const out: DiffLine[] = []
  let i = 0
  let j = 0
  for (const op of ops) {
    if (op === ' ') out.push({ op, text: x[i], oldNo: ++i, newNo: ++j })
    else if (op === '-') out.push({ op, text: x[i], oldNo: ++i })
    else out.push({ op, text: y[j], newNo: ++j })
  }
  return out
}

// middle diffs the parts that differ with an LCS table.
function middle(x: string[], y: string[]): DiffOp[] {
  const n = x.length
  const m = y.length
  if (n * m > maxCells) return [...x.map((): DiffOp => '-'), ...y.map((): DiffOp => '+')]
  // lcs[i][j]: the LCS length of x[i:] and y[j:], one row at a time.
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
    }
  }
  const ops: DiffOp[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      ops.push(' ')
      i++
      j++
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      ops.push('-')
      i++
    } else {
      ops.push('+')
      j++
    }
  }
  while (i++ < n) ops.push('-')
  while (j++ < m) ops.push('+')
  return ops
}
