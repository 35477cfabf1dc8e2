/**
 * data/manifest.csv, the committed fingerprint of CK+48 (path, class, subject, sha256 of every image): written by
 * `npm run manifest`, read to check a data folder before training, and to count the data set and take its file names
 * apart (subjects, sequences, frames: fileNameStructure) without its images.
 */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { CLASSES } from "../config";
import { MANIFEST } from "../paths";
import { listImages, sequenceOf, subjectOf } from "./files";
import { classCounts } from "./labels";

/** One row of data/manifest.csv. */
export interface ManifestEntry {
  path: string;
  class: string;
  subject: string;
  sha256: string;
}

/** SHA-256 of a file's bytes, hex. */
export function sha256File(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Read data/manifest.csv (path,class,subject,sha256). */
export function readManifest(file: string = MANIFEST): ManifestEntry[] {
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  if (lines[0] !== "path,class,subject,sha256") throw new Error(`${file}: unexpected header "${lines[0]}"`);
  return lines.slice(1).map((l) => {
    const [p, c, s, h] = l.split(",");
    return { path: p, class: c, subject: s, sha256: h };
  });
}

/** Manifest rows for a CK+48 folder (the data/manifest.csv generator). */
export function makeManifest(dir: string): ManifestEntry[] {
  return listImages(dir).map((p) => ({
    path: p,
    class: p.split("/")[0],
    subject: subjectOf(p),
    sha256: sha256File(path.join(dir, p)),
  }));
}

/** Manifest rows as CSV text. */
export function manifestCsv(rows: ManifestEntry[]): string {
  return (
    ["path,class,subject,sha256", ...rows.map((r) => `${r.path},${r.class},${r.subject},${r.sha256}`)].join("\n") + "\n"
  );
}

/** What differs between a folder and the manifest. */
export interface Verification {
  missing: string[];
  extra: string[];
  changed: string[];
}

/** Compare a CK+48 folder with the manifest: files missing, extra, or with other bytes (sha256). */
export function verifyFolder(dir: string, manifest: ManifestEntry[] = readManifest()): Verification {
  const present = new Set(listImages(dir));
  const expected = new Map(manifest.map((m) => [m.path, m.sha256]));
  const missing = [...expected.keys()].filter((p) => !present.has(p));
  const extra = [...present].filter((p) => !expected.has(p));
  const changed = [...present].filter((p) => expected.has(p) && sha256File(path.join(dir, p)) !== expected.get(p));
  return { missing, extra, changed };
}

/** One line that says precisely how a folder differs from the manifest ("" when it matches). */
export function describeVerification(v: Verification): string {
  const part = (n: string, xs: string[]) =>
    xs.length ? `${xs.length} ${n} (${xs.slice(0, 3).join(", ")}${xs.length > 3 ? ", …" : ""})` : "";
  return [part("missing", v.missing), part("extra", v.extra), part("changed", v.changed)].filter(Boolean).join("; ");
}

/**
 * Colour channels of the stored CK+48 PNGs: 8-bit grey, one channel (the paper's "colour images" are not; the loader
 * copies the grey value to three channels). test/data.test.ts checks every file of the data set when it is present.
 */
export const STORED_CHANNELS = 1;

/** Images per class, in class order, from the manifest (works without the images). */
export function manifestCounts(manifest: ManifestEntry[]): number[] {
  return classCounts(
    manifest.map((m) => {
      const c = (CLASSES as readonly string[]).indexOf(m.class);
      if (c < 0) throw new Error(`manifest: unknown class "${m.class}"`);
      return c;
    }),
  );
}

/** The paths of the manifest rows ("class/file.png"). */
export function manifestFiles(manifest: ManifestEntry[]): string[] {
  return manifest.map((m) => m.path);
}

/** The subject / sequence / frame structure behind the CK+ file names `S<subject>_<sequence>_<frame>.png`. */
export interface FileNameStructure {
  images: number;
  subjects: number;
  sequences: number;
  /** How many sequences contribute n images, by n. */
  imagesPerSequence: Record<number, number>;
  /** Sequences whose images sit in more than one class folder (should be none: a sequence shows one emotion). */
  sequencesInSeveralClasses: number;
  /** Subjects per class. */
  subjectsPerClass: Record<string, number>;
  /** One example name, taken apart. */
  example: { file: string; subject: string; sequence: string; frame: string };
}

/** Take the file names of the manifest apart (lib/data/files.ts subjectOf / sequenceOf). */
export function fileNameStructure(manifest: ManifestEntry[]): FileNameStructure {
  const seqs = new Map<string, { n: number; classes: Set<string> }>();
  const subjects = new Set<string>();
  const perClass = new Map<string, Set<string>>(CLASSES.map((c) => [c, new Set<string>()]));
  for (const m of manifest) {
    const s = subjectOf(m.path);
    const q = sequenceOf(m.path);
    subjects.add(s);
    perClass.get(m.class)?.add(s);
    const e = seqs.get(q) ?? { n: 0, classes: new Set<string>() };
    e.n++;
    e.classes.add(m.class);
    seqs.set(q, e);
  }
  const imagesPerSequence: Record<number, number> = {};
  for (const e of seqs.values()) imagesPerSequence[e.n] = (imagesPerSequence[e.n] ?? 0) + 1;
  const file = manifest[0].path;
  const base = path.basename(file);
  return {
    images: manifest.length,
    subjects: subjects.size,
    sequences: seqs.size,
    imagesPerSequence,
    sequencesInSeveralClasses: [...seqs.values()].filter((e) => e.classes.size > 1).length,
    subjectsPerClass: Object.fromEntries([...perClass.entries()].map(([c, s]) => [c, s.size])),
    example: {
      file,
      subject: subjectOf(file),
      sequence: sequenceOf(file),
      frame: base.replace(/^S\d+_\d+_(\d+)\..*$/, "$1"),
    },
  };
}
