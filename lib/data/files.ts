/**
 * Section 2.1 of the paper, the files: a CK+48 folder holds one sub-folder per class (anger, contempt, disgust, fear,
 * happy, sadness, surprise) of 48×48 face crops named `S<subject>_<sequence>_<frame>.png`. This module reads the
 * names and lists a folder, checking its layout; it decodes nothing (lib/data/decode.ts does).
 */
import * as fs from "fs";
import * as path from "path";
import { CLASSES } from "../config";
import { UserError } from "../errors";

const IMAGE_EXT = /\.(png|jpe?g|bmp|gif|tiff?|webp)$/i;

/** Subject id from a CK+ file name: "S010_004_00000017.png" → "S010". Throws a UserError for other names. */
export function subjectOf(file: string): string {
  const m = /^(S\d+)_\d+_\d+\.[a-z]+$/i.exec(path.basename(file));
  if (!m) throw new UserError(`file name "${file}" is not of the CK+ form S<subject>_<sequence>_<frame>.png`);
  return m[1];
}

/**
 * Sequence id from a CK+ file name: "S010_004_00000017.png" → "S010_004".
 *
 * @see notebooks/01-data.ipynb
 */
export function sequenceOf(file: string): string {
  const m = /^(S\d+_\d+)_\d+\./i.exec(path.basename(file));
  if (!m) throw new UserError(`file name "${file}" is not of the CK+ form S<subject>_<sequence>_<frame>.png`);
  return m[1];
}

/** Files that operating systems and archivers leave in folders: ignored with a note (not images, not errors). */
const STRAY = /^(\.DS_Store|Thumbs\.db|desktop\.ini|\._.*|\.directory|__MACOSX)$/i;

/** Notes already printed (listImages runs more than once per folder in a run; a note is said once). */
const noted = new Set<string>();

/** The sub-folders of `dir` (following links). */
function subfolders(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter(
      (e) =>
        e.isDirectory() ||
        (e.isSymbolicLink() && fs.statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isDirectory()),
    )
    .map((e) => e.name);
}

/**
 * List the images of a CK+48 folder as "class/file" paths, sorted, checking its layout: the folder exists and holds
 * exactly the 7 class folders, each with images. Every problem is a UserError that says what to do (a folder one
 * level too high, as the Kaggle archive unpacks to `CK+48/`, gets the folder below suggested). Stray files
 * (`.DS_Store`, `Thumbs.db`, hidden files) are ignored, and `note` says so once.
 */
export function listImages(dir: string, note: (message: string) => void = (m) => console.log(m)): string[] {
  const expected = `the ${CLASSES.length} class folders ${CLASSES.join(", ")}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UserError(`CK+48 folder not found: ${dir} (give --data DIR or set CK48_DIR; see data/README.md)`);
  }
  if (!st.isDirectory())
    throw new UserError(`${dir} is a file, not a folder: give the CK+48 folder that holds ${expected}`);
  const folders = subfolders(dir).filter((f) => !STRAY.test(f) && !f.startsWith("."));
  const classFolders = folders.filter((f) => (CLASSES as readonly string[]).includes(f));
  if (classFolders.length === 0) {
    const below = folders.filter((f) =>
      subfolders(path.join(dir, f)).some((g) => (CLASSES as readonly string[]).includes(g)),
    );
    if (below.length)
      throw new UserError(
        `${dir} holds no class folders, but ${path.join(dir, below[0])} does: give --data ${path.join(dir, below[0])}`,
      );
    if ((CLASSES as readonly string[]).includes(path.basename(dir))) {
      throw new UserError(`${dir} is one class folder: give the folder above it, --data ${path.dirname(dir)}`);
    }
    if (fs.readdirSync(dir).filter((f) => !STRAY.test(f)).length === 0)
      throw new UserError(`${dir} is empty: put the CK+48 images there (${expected}; see data/README.md)`);
  }
  const unknown = folders.filter((f) => !(CLASSES as readonly string[]).includes(f));
  if (unknown.length) {
    throw new UserError(
      `unexpected class folder "${unknown[0]}" in ${dir} (expected exactly: ${CLASSES.join(", ")}): move it out of the data folder`,
    );
  }
  const missing = CLASSES.filter((c) => !folders.includes(c));
  if (missing.length)
    throw new UserError(
      `class folder "${missing[0]}" missing in ${dir} (expected: ${CLASSES.join(", ")}): restore it from the CK+48 archive`,
    );
  const files: string[] = [];
  const ignored: string[] = [];
  for (const c of CLASSES) {
    let n = 0;
    for (const e of fs
      .readdirSync(path.join(dir, c), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const f = e.name;
      if (STRAY.test(f) || f.startsWith(".")) {
        ignored.push(`${c}/${f}`);
        continue;
      }
      if (e.isDirectory())
        throw new UserError(
          `unexpected folder ${path.join(dir, c, f)} inside a class folder: move it out of the data folder`,
        );
      if (!IMAGE_EXT.test(f))
        throw new UserError(`not an image file: ${path.join(dir, c, f)} (remove it or move it out of the data folder)`);
      files.push(`${c}/${f}`);
      n++;
    }
    if (n === 0)
      throw new UserError(`class folder ${path.join(dir, c)} holds no images: restore them from the CK+48 archive`);
  }
  ignored.push(...fs.readdirSync(dir).filter((f) => STRAY.test(f)));
  const key = `${path.resolve(dir)}\n${ignored.join("\n")}`;
  if (ignored.length && !noted.has(key)) {
    noted.add(key);
    note(
      `note: ignored ${ignored.length} stray file${ignored.length > 1 ? "s" : ""} in ${dir} (${ignored.slice(0, 3).join(", ")}${ignored.length > 3 ? ", …" : ""})`,
    );
  }
  return files;
}
