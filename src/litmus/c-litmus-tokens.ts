// The tokens of a C-litmus file after its `C name` line: identifiers, integers, C and herd
// punctuation (`/\` and `\/` included), strings, and the comments kept aside with their lines,
// since the header comment holds the `Result:` line. Comments are C's `/* ... */` and `//`, and
// herd's `(* ... *)`, which nest, outside braces only: inside a thread `(*x` is C.

export interface Token {
  readonly kind: 'ident' | 'number' | 'punct' | 'string' | 'eof';
  readonly text: string;
  readonly line: number;
}

export interface Comment {
  readonly text: string;
  readonly line: number;
}

/** Longest first, so that `==` is never read as two `=`. */
const PUNCTUATION = ['/\\', '\\/', '==', '!=', '<=', '>=', '&&', '||', '{', '}', '(', ')', '[', ']', ';', ',', '*', '=', '!', '<', '>', '+', '-', '&', '|', '^', '~', ':', '.'];

export class LitmusSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export function tokenize(text: string, firstLine: number): { tokens: Token[]; comments: Comment[] } {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  let line = firstLine;
  let i = 0;
  let braces = 0;
  const skipTo = (end: number) => {
    for (; i < end; i++) if (text[i] === '\n') line++;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      skipTo(i + 1);
      continue;
    }
    const start = line;
    if (braces === 0 && text.startsWith('(*', i)) {
      // herd's comments nest, as OCaml's do.
      let depth = 0;
      let j = i;
      do {
        if (text.startsWith('(*', j)) {
          depth++;
          j += 2;
        } else if (text.startsWith('*)', j)) {
          depth--;
          j += 2;
        } else if (j >= text.length) {
          throw new LitmusSyntaxError(start, 'unterminated (* comment');
        } else j++;
      } while (depth > 0);
      comments.push({ text: text.slice(i + 2, j - 2), line: start });
      skipTo(j);
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new LitmusSyntaxError(start, 'unterminated /* comment');
      comments.push({ text: text.slice(i + 2, end), line: start });
      skipTo(end + 2);
      continue;
    }
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      comments.push({ text: text.slice(i + 2, stop), line: start });
      skipTo(stop);
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256));
    if (word) {
      tokens.push({ kind: 'ident', text: word[0], line });
      i += word[0].length;
      continue;
    }
    const number = /^(0[xX][0-9a-fA-F]+|[0-9]+)(?![A-Za-z0-9_])/.exec(text.slice(i, i + 64));
    if (number) {
      tokens.push({ kind: 'number', text: number[0], line });
      i += number[0].length;
      continue;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new LitmusSyntaxError(start, 'unterminated string');
      tokens.push({ kind: 'string', text: text.slice(i + 1, end), line });
      skipTo(end + 1);
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (!punct) throw new LitmusSyntaxError(line, `unexpected character '${c}'`);
    tokens.push({ kind: 'punct', text: punct, line });
    if (punct === '{') braces++;
    if (punct === '}') braces = Math.max(0, braces - 1);
    i += punct.length;
  }
  tokens.push({ kind: 'eof', text: 'end of file', line });
  return { tokens, comments };
}
