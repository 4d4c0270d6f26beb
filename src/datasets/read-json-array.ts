import { DatasetError, errorMessage } from '../core/errors.js';
import type { RawRow } from './dataset-source.js';
import { openDatasetFile, readFailure } from './open-dataset-file.js';

/**
 * Streams a JSON file holding one array of records. The array is never parsed whole: a small splitter
 * finds where each top-level element starts and ends (tracking strings, escapes and nesting), and each
 * element is parsed on its own — so memory holds one element, and any file size works.
 * `location.line` is the line where the element starts, `location.element` its 0-based index, and
 * errors name both.
 */
export async function* readJsonArray(filePath: string): AsyncGenerator<RawRow> {
  const input = await openDatasetFile(filePath);
  input.setEncoding('utf8');
  const splitter = new JsonArraySplitter(filePath);
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      for (const element of splitter.push(chunk)) yield parseElement(element, filePath);
    }
    splitter.end();
  } catch (error) {
    throw readFailure(error, filePath, splitter.line);
  } finally {
    input.destroy();
  }
}

/** The text of one top-level array element, the line it starts on and its 0-based index. */
export interface JsonArrayElement {
  text: string;
  line: number;
  index: number;
}

type SplitterState = 'before-array' | 'before-first' | 'before-next' | 'in-element' | 'after-array';

/**
 * Splits the text of a JSON array, fed in chunks, into the texts of its top-level elements.
 * Validates only the array's punctuation; each element's own syntax is left to JSON.parse.
 */
export class JsonArraySplitter {
  /** 1-based line of the character being read. */
  line = 1;
  private state: SplitterState = 'before-array';
  /** Open brackets of the current element, innermost last: `}` must close `{`, `]` must close `[`. */
  private open: number[] = [];
  /** Index of the element being read (the next one, between elements). */
  private index = 0;
  private inString = false;
  private escaped = false;
  private pending: string[] = [];
  private elementLine = 1;
  private atStart = true;

  constructor(private readonly filePath: string) {}

  /** Feeds the next chunk; returns the elements completed in it. */
  push(chunk: string): JsonArrayElement[] {
    const done: JsonArrayElement[] = [];
    let start = 0;
    let i = 0;
    if (this.atStart) {
      this.atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      if (code === 10) this.line++;
      if (this.state === 'in-element') {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (code === 92 /* \ */) this.escaped = true;
          else if (code === 34 /* " */) this.inString = false;
          continue;
        }
        if (code === 34) this.inString = true;
        else if (code === 123 /* { */ || code === 91 /* [ */) this.open.push(code);
        else if (code === 125 /* } */ || (code === 93 /* ] */ && this.open.length > 0)) {
          const opener = this.open.pop();
          if (opener !== (code === 125 ? 123 : 91)) {
            throw this.elementError(
              opener === undefined
                ? `unexpected "}"`
                : `"${chunk[i]}" closes a "${opener === 123 ? '{' : '['}"`,
            );
          }
        } else if (this.open.length === 0 && (code === 44 /* , */ || code === 93)) {
          this.pending.push(chunk.slice(start, i));
          done.push({ text: this.pending.join(''), line: this.elementLine, index: this.index });
          this.index++;
          this.pending = [];
          this.state = code === 44 ? 'before-next' : 'after-array';
        }
        continue;
      }
      if (isWhitespace(code)) continue;
      switch (this.state) {
        case 'before-array':
          if (code !== 91) throw this.error('the file does not start with "["', 'a JSON array of records');
          this.state = 'before-first';
          break;
        case 'before-first':
        case 'before-next':
          if (code === 93 && this.state === 'before-first') {
            this.state = 'after-array';
            break;
          }
          if (code === 44 || code === 93) throw this.error(`unexpected "${chunk[i]}"`, 'an array element');
          this.state = 'in-element';
          this.elementLine = this.line;
          this.open = [];
          start = i;
          // Re-read this (non-whitespace) character as the element's first.
          i--;
          break;
        case 'after-array':
          throw this.error('unexpected content after the closing "]"', 'nothing after the array');
      }
    }
    if (this.state === 'in-element') this.pending.push(chunk.slice(start));
    return done;
  }

  /** Checks that the array was closed. */
  end(): void {
    if (this.state === 'before-array') return; // an empty file: the scan reports "dataset is empty"
    if (this.state === 'in-element' && (this.open.length > 0 || this.inString)) {
      throw this.elementError('the file ended inside this element');
    }
    if (this.state !== 'after-array') {
      throw this.error('the file ended inside the JSON array', 'a closing "]"');
    }
  }

  /** A problem inside the element being read: named by its index and the line it starts on. */
  private elementError(message: string): DatasetError {
    return new DatasetError({
      file: this.filePath,
      line: this.elementLine,
      element: this.index,
      message: `invalid JSON in this array element${this.line !== this.elementLine ? ` (it runs to line ${this.line})` : ''}: ${message}`,
    });
  }

  private error(message: string, expected?: string): DatasetError {
    return new DatasetError({
      file: this.filePath,
      line: this.line,
      message,
      ...(expected !== undefined ? { expected } : {}),
    });
  }
}

function parseElement(element: JsonArrayElement, filePath: string): RawRow {
  try {
    return {
      raw: JSON.parse(element.text),
      location: { source: filePath, line: element.line, element: element.index },
    };
  } catch (error) {
    throw new DatasetError({
      file: filePath,
      line: element.line,
      element: element.index,
      message: `invalid JSON in this array element: ${errorMessage(error)}`,
      cause: error,
    });
  }
}

function isWhitespace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}
