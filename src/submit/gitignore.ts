/**
 * `.gitignore` matching, enough for packaging a folder the way Ray's working_dir upload does: patterns
 * are scoped to the folder of the file they come from, the last matching pattern wins, `!` re-includes,
 * a trailing `/` matches directories only, a pattern with an inner `/` is anchored to its folder, and
 * `*`, `?`, `[...]`, `**` have their git meanings. (As in git, a file inside an excluded directory cannot
 * be re-included: the walk never enters that directory.)
 */
export interface IgnoreRule {
  /** Folder of the ignore file, relative to the package root, `''` for the root; `/`-separated. */
  base: string;
  regex: RegExp;
  negate: boolean;
  directoryOnly: boolean;
  /** The pattern as written, for messages. */
  source: string;
}

/** Parses one ignore file's text into rules scoped to `base`. */
export function parseIgnoreFile(text: string, base: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
      line = line.slice(1);
    }
    let directoryOnly = false;
    if (line.endsWith('/')) {
      directoryOnly = true;
      line = line.slice(0, -1);
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
    rules.push({ base, regex, negate, directoryOnly, source: rawLine.trim() });
  }
  return rules;
}

/** True when `relativePath` (from the package root, `/`-separated) is ignored by the rules. */
export function isIgnored(rules: readonly IgnoreRule[], relativePath: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    if (rule.directoryOnly && !isDirectory) continue;
    let candidate: string;
    if (rule.base === '') candidate = relativePath;
    else if (relativePath.startsWith(`${rule.base}/`)) candidate = relativePath.slice(rule.base.length + 1);
    else continue;
    if (rule.regex.test(candidate)) ignored = !rule.negate;
  }
  return ignored;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const next = glob[i + 2];
        if (atStart && next === '/') {
          out += '(?:.*/)?';
          i += 2;
          continue;
        }
        if (atStart && next === undefined) {
          out += '.*';
          i += 1;
          continue;
        }
        out += '[^/]*';
        i += 1;
        continue;
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, close);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[i + 1] as string);
      i += 1;
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
