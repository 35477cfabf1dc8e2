/**
 * The CK+ literature's published subject-independent 10-fold list: Emotion-FAN's (Meng et al. 2019)
 * `data/txt/CK+_10-fold_sample_IDascendorder_step10.txt`, from the public repository Open-Debin/Emotion-FAN (MIT
 * licence; commit 874e871999a2002cd5dd9dffff2c4400c2e1805b), committed verbatim as data/folds/emotion-fan-ck+-10-fold.txt.
 * Its 327 sequences are the labelled sequences of CK+, subjects in ascending order and every tenth subject to one fold.
 * The split `subject-cv-fan` (lib/protocol.ts runSubjectCv) tests each fold once with a model trained on the other
 * nine, so our pooled accuracy stands on the same folds as the numbers the literature reports under this protocol.
 */
import * as fs from "fs";
import * as path from "path";
import { DATA } from "../paths";
import { UserError } from "../errors";
import { sequenceOf, subjectOf } from "./files";

/** The committed fold list. */
export const FAN_FOLDS_FILE = path.join(DATA, "folds", "emotion-fan-ck+-10-fold.txt");

/** Emotion-FAN's class names, as the list writes them, to ours (CK+48's folder names). */
export const FAN_CLASSES: Record<string, string> = {
  Angry: "anger",
  Contempt: "contempt",
  Disgust: "disgust",
  Fear: "fear",
  Happy: "happy",
  Sad: "sadness",
  Surprise: "surprise",
};

/** One sequence of the list: its fold (0-based), CK+ sequence ("S130_007", our spelling) and class (ours). */
export interface FanSequence {
  fold: number;
  sequence: string;
  label: string;
}

/**
 * Parses the list: a header line "N-fold <count> <Class> <count> …" opens each fold, then one "S130/007 Angry" line
 * per sequence. Checks each fold's header count against its lines.
 */
export function parseFanFolds(text: string): FanSequence[] {
  const out: FanSequence[] = [];
  let fold = -1;
  let expected = 0;
  const counts: number[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const head = /^(\d+)-fold\s+(\d+)\b/.exec(line);
    if (head) {
      fold = Number(head[1]) - 1;
      expected = Number(head[2]);
      counts[fold] = 0;
      if (fold !== counts.length - 1) throw new Error(`fold list line ${i + 1}: fold ${head[1]} out of order`);
      continue;
    }
    const m = /^(S\d+)\/(\d+)\s+(\w+)$/.exec(line);
    if (!m || fold < 0) throw new Error(`fold list line ${i + 1}: not "S<subject>/<sequence> <Class>": ${line}`);
    const label = FAN_CLASSES[m[3]];
    if (!label) throw new Error(`fold list line ${i + 1}: unknown class ${m[3]}`);
    out.push({ fold, sequence: `${m[1]}_${m[2]}`, label });
    counts[fold]++;
    if (counts[fold] > expected) throw new Error(`fold list: fold ${fold + 1} has more than its ${expected} sequences`);
  }
  return out;
}

/** The committed list, parsed. */
export function readFanFolds(file: string = FAN_FOLDS_FILE): FanSequence[] {
  return parseFanFolds(fs.readFileSync(file, "utf8"));
}

/** What the list covers of a set of CK+48 files, for the checks: every problem as a sentence. */
export function fanCoverage(files: string[], list: FanSequence[] = readFanFolds()): string[] {
  const problems: string[] = [];
  const bySeq = new Map(list.map((s) => [s.sequence, s]));
  if (bySeq.size !== list.length) problems.push("a sequence is listed twice");
  const seen = new Set<string>();
  for (const f of files) {
    const s = bySeq.get(sequenceOf(f));
    if (!s) problems.push(`${f}: its sequence is not in the list`);
    else if (s.label !== f.split("/")[0]) problems.push(`${f}: the list says ${s.label}`);
    seen.add(sequenceOf(f));
  }
  for (const s of list) if (!seen.has(s.sequence)) problems.push(`${s.sequence}: listed, but no image of it`);
  const foldOfSubject = new Map<string, number>();
  for (const s of list) {
    const subject = subjectOf(`${s.sequence}_00000001.png`);
    const before = foldOfSubject.get(subject);
    if (before !== undefined && before !== s.fold)
      problems.push(`${subject} is in folds ${before + 1} and ${s.fold + 1}`);
    foldOfSubject.set(subject, s.fold);
  }
  return problems;
}

/**
 * The list's 10 folds over `files` (the images of a run, maybe a quick subset): fold i's `val` is its images, `train`
 * all others, both sorted; as lib/split.ts kFold returns them, so runSubjectCv uses either. Throws when a file's
 * sequence is not in the list.
 */
export function fanOuterFolds(
  files: string[],
  list: FanSequence[] = readFanFolds(),
): { train: string[]; val: string[] }[] {
  const foldOf = new Map(list.map((s) => [s.sequence, s.fold]));
  const k = Math.max(...list.map((s) => s.fold)) + 1;
  const folds = Array.from({ length: k }, () => ({ train: [] as string[], val: [] as string[] }));
  for (const f of [...files].sort()) {
    const i = foldOf.get(sequenceOf(f));
    if (i === undefined)
      throw new UserError(
        `${f}: its sequence is not in the Emotion-FAN fold list (data/folds/); subject-cv-fan needs CK+48's own images`,
      );
    folds.forEach((fold, j) => (j === i ? fold.val : fold.train).push(f));
  }
  return folds.filter((f) => f.val.length > 0);
}
