import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/**
 * `.gitignore` matching for packaging a folder, with the `ignore` package (git's own rules: `!`
 * re-includes, a trailing `/` matches folders only, an inner `/` anchors, `**`). Each ignore file is a
 * layer scoped to its own folder; deeper layers override shallower ones, as in git. As in git, a file
 * inside an excluded folder cannot be re-included: the walk never enters that folder.
 */
export interface IgnoreLayer {
  /** Absolute folder the patterns are relative to. */
  dir: string;
  matcher: Ignore;
}

/** The ignore files read in every folder (Ray's working_dir upload honours both). */
export const IGNORE_FILES = ['.gitignore', '.rayignore'];

/** One layer from the text of an ignore file (or a list of patterns) in folder `dir`. */
export function ignoreLayer(text: string, dir: string): IgnoreLayer {
  return { dir, matcher: ignore({ allowRelativePaths: true }).add(text) };
}

/** The layers of the ignore files in `dir`, if any. */
export async function ignoreLayersIn(dir: string): Promise<IgnoreLayer[]> {
  const layers: IgnoreLayer[] = [];
  for (const name of IGNORE_FILES) {
    const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) layers.push(ignoreLayer(text, dir));
  }
  return layers;
}

/**
 * The layers of the `.gitignore` files in the folders above `root`, up to the root of the git
 * repository that contains it (the folder holding `.git`), outermost first. Outside a repository there
 * are none: only a repository's ignore files say what belongs to the project.
 */
export async function parentIgnoreLayers(root: string): Promise<IgnoreLayer[]> {
  if (existsSync(path.join(root, '.git'))) return [];
  const parents: string[] = [];
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    parents.push(dir);
    if (existsSync(path.join(dir, '.git'))) break;
    if (path.dirname(dir) === dir) return [];
  }
  const layers: IgnoreLayer[] = [];
  for (const dir of parents.reverse()) {
    const text = await readFile(path.join(dir, '.gitignore'), 'utf8').catch(() => undefined);
    if (text !== undefined) layers.push(ignoreLayer(text, dir));
  }
  return layers;
}

/**
 * Whether `absolutePath` is ignored by the layers (outermost first): the deepest layer with an opinion
 * (ignore, or `!` re-include) decides.
 */
export function isIgnored(
  layers: readonly IgnoreLayer[],
  absolutePath: string,
  isDirectory: boolean,
): boolean {
  let ignored = false;
  for (const layer of layers) {
    const relative = path.relative(layer.dir, absolutePath).split(path.sep).join('/');
    if (relative === '' || relative.startsWith('..')) continue;
    const result = layer.matcher.test(isDirectory ? `${relative}/` : relative);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}
