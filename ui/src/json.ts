// A small JSON parser that keeps numbers as their source text, so that
// large integers and the int/float distinction display exactly (JSON.parse
// would round 2^53+1 and print 1.0 as 1).

export type JNode =
  | { t: 'obj'; entries: [string, JNode][] }
  | { t: 'arr'; items: JNode[] }
  | { t: 'str'; v: string }
  | { t: 'num'; raw: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' }

export class JsonSyntaxError extends Error {
  pos: number
  line: number
  col: number
  constructor(msg: string, src: string, pos: number) {
    const before = src.slice(0, pos)
    const line = before.split('\n').length
    const col = pos - before.lastIndexOf('\n')
    super(`${msg} at line ${line}, column ${col}`)
    this.pos = pos
    this.line = line
    this.col = col
  }
}

export function parseJSON(src: string): JNode {
  let i = 0
  const ws = () => {
    while (i < src.length && (src[i] === ' ' || src[i] === '\n' || src[i] === '\r' || src[i] === '\t')) i++
  }
  const fail = (m: string): never => {
    throw new JsonSyntaxError(m, src, i)
  }
  const value = (depth: number): JNode => {
    if (depth > 1000) fail('nesting too deep')
    ws()
    const c = src[i]
    if (c === '{') {
      i++
      const entries: [string, JNode][] = []
      ws()
      if (src[i] === '}') {
        i++
        return { t: 'obj', entries }
      }
      for (;;) {
        ws()
        if (src[i] !== '"') fail('expected a string key')
        const k = string()
        ws()
        if (src[i] !== ':') fail("expected ':'")
        i++
        entries.push([k, value(depth + 1)])
        ws()
        if (src[i] === ',') {
          i++
          continue
        }
        if (src[i] === '}') {
          i++
          return { t: 'obj', entries }
        }
        fail("expected ',' or '}'")
      }
    }
    if (c === '[') {
      i++
      const items: JNode[] = []
      ws()
      if (src[i] === ']') {
        i++
        return { t: 'arr', items }
      }
      for (;;) {
        items.push(value(depth + 1))
        ws()
        if (src[i] === ',') {
          i++
          continue
        }
        if (src[i] === ']') {
          i++
          return { t: 'arr', items }
        }
        fail("expected ',' or ']'")
      }
    }
    if (c === '"') return { t: 'str', v: string() }
    if (src.startsWith('true', i)) {
      i += 4
      return { t: 'bool', v: true }
    }
    if (src.startsWith('false', i)) {
      i += 5
      return { t: 'bool', v: false }
    }
    if (src.startsWith('null', i)) {
      i += 4
      return { t: 'null' }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 400))
    if (m && m[0]) {
      i += m[0].length
      return { t: 'num', raw: m[0] }
    }
    return fail(i >= src.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(src[i])}`)
  }
  const string = (): string => {
    const start = i
    i++
    let esc = false
    for (; i < src.length; i++) {
      const ch = src[i]
      if (esc) esc = false
      else if (ch === '\\') esc = true
      else if (ch === '"') break
      else if (ch < ' ') fail('control character in string')
    }
    if (i >= src.length) fail('unterminated string')
    i++
    try {
      return JSON.parse(src.slice(start, i)) as string
    } catch {
      i = start
      return fail('invalid escape in string')
    }
  }
  const v = value(0)
  ws()
  if (i < src.length) fail('unexpected text after the value')
  return v
}

/** formatJSON pretty-prints JSON text exactly (numbers keep their text). */
export function formatJSON(src: string, indent = 2): string {
  try {
    return stringify(parseJSON(src), indent)
  } catch {
    return src
  }
}

export function stringify(n: JNode, indent = 2, level = 0): string {
  const pad = (l: number) => ' '.repeat(indent * l)
  switch (n.t) {
    case 'obj':
      if (n.entries.length === 0) return '{}'
      return '{\n' + n.entries.map(([k, v]) => pad(level + 1) + JSON.stringify(k) + ': ' + stringify(v, indent, level + 1)).join(',\n') + '\n' + pad(level) + '}'
    case 'arr':
      if (n.items.length === 0) return '[]'
      return '[\n' + n.items.map((v) => pad(level + 1) + stringify(v, indent, level + 1)).join(',\n') + '\n' + pad(level) + ']'
    case 'str':
      return JSON.stringify(n.v)
    case 'num':
      return n.raw
    case 'bool':
      return String(n.v)
    case 'null':
      return 'null'
  }
}

/** tryParse returns JSON.parse's value or undefined. */
export function tryParse(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}

/** jsonSyntaxError is parseJSON's message for text that is not JSON, or "". */
export function jsonSyntaxError(text: string): string {
  try {
    parseJSON(text)
    return ''
  } catch (e) {
    return (e as Error).message
  }
}
