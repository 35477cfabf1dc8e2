/**
 * The peers beside our CNN on the same CK+48 images (notebook 06, figures/peers.md, the README's sentence).
 *
 * `npm run peers` runs each pretrained model of lib/peers/models.ts on all 981 images and stores its probabilities
 * in data/runs/peers/peers.json ({@link runPeers}); everything after that is pure and reads that file and the
 * committed study ({@link peerComparison}). The comparison is over the six classes the models share with CK+48:
 * contempt has no counterpart in either, so its images are left out; "neutral" has no CK+48 class (its images are
 * the last, most intense frames of each sequence), so a neutral answer is a miss when the model is used as shipped,
 * and is ignored in the six-way reading (the highest of the six shared outputs wins).
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { CLASSES } from "../config";
import { RUNS, STUDY } from "../paths";
import { studyRecords } from "../study";
import { loadJsonFile } from "../files";
import { clusterRatioInterval, spread, type Interval, type Spread } from "../stats";
import { sequenceOf, subjectOf } from "../data/files";
import { argmax, argmaxWhere } from "../arrays";
import type { Prediction } from "../record";
import { PEERS, PEER_NAMES, OUTPUT_CLASS, type PeerName } from "./models";

/** What a study run gives this comparison: its classes and its test images' probabilities. */
export interface RunAnswers {
  classes: readonly string[];
  test: { predictions: readonly Prediction[] };
}

/** The six classes the peers share with CK+48 (all but contempt), in our order. */
export const SHARED_CLASSES = CLASSES.filter((c) => c !== "contempt");

/** How a peer's answer is read: as shipped (neutral is a miss) or six-way (only the six shared outputs compete). */
export const RULES = ["as shipped", "six-way"] as const;
export type Rule = (typeof RULES)[number];

/** data/runs/peers/peers.json: each peer's probabilities on every CK+48 image, in its own output order. */
export interface PeerRecord {
  method: string;
  backend: string;
  /** "class/file.png", sorted, as lib/data/dataset.ts lists them. */
  files: string[];
  peers: {
    name: PeerName;
    package: string;
    version: string;
    outputs: string[];
    seconds: number;
    /** One row per file: the model's probabilities, rounded to 6 decimals. */
    probs: number[][];
  }[];
}

export const PEER_RECORD_SCHEMA: z.ZodType<PeerRecord, unknown> = z.object({
  method: z.string(),
  backend: z.string(),
  files: z.array(z.string()),
  peers: z.array(
    z.object({
      name: z.enum(PEER_NAMES),
      package: z.string(),
      version: z.string(),
      outputs: z.array(z.string()),
      seconds: z.number().nonnegative(),
      probs: z.array(z.array(z.number())),
    }),
  ),
});

export const PEERS_FILE = path.join(RUNS, "peers", "peers.json");

/** Read a peers.json, checked against {@link PEER_RECORD_SCHEMA} and for one row of probabilities per file. */
export function loadPeers(file = PEERS_FILE): PeerRecord {
  const r = loadJsonFile(file, PEER_RECORD_SCHEMA, "peers record", "write it again with npm run peers");
  for (const p of r.peers)
    if (p.probs.length !== r.files.length || p.probs.some((row) => row.length !== p.outputs.length))
      throw new Error(`${file}: ${p.name} has ${p.probs.length} rows of probabilities for ${r.files.length} files`);
  return r;
}

/** The committed peers record, if there is one. */
export function findPeers(file = PEERS_FILE): PeerRecord | undefined {
  return fs.existsSync(file) ? loadPeers(file) : undefined;
}

/**
 * The CK+48 class a peer answers for one image under a rule, or null (neutral as shipped). `outputs` are the peer's
 * output names; ties go to the first output, like argmax.
 */
export function peerAnswer(probs: readonly number[], outputs: readonly string[], rule: Rule): string | null {
  const best = argmaxWhere(probs, (k) => rule === "as shipped" || !!OUTPUT_CLASS[outputs[k]]);
  return OUTPUT_CLASS[outputs[best]] ?? null;
}

/** An accuracy over answers with its subject-level cluster-bootstrap interval. */
export interface Score {
  accuracy: number;
  /** 95 % percentile interval, resampling the people (all answers for a drawn person), 10,000 resamples, seed 0. */
  interval: Interval | null;
  /** Distinct images and people behind it. */
  images: number;
  people: number;
}

/** One answer: whose image, which image, and whether it was right. */
interface Answer {
  file: string;
  subject: string;
  right: boolean;
}

/** Accuracy of a set of answers, with the people resampled (several runs' answers for one image stay together). */
function score(answers: readonly Answer[]): Score {
  const bySubject = new Map<string, { right: number; total: number }>();
  for (const a of answers) {
    const c = bySubject.get(a.subject) ?? { right: 0, total: 0 };
    c.right += a.right ? 1 : 0;
    c.total += 1;
    bySubject.set(a.subject, c);
  }
  const keys = [...bySubject.keys()].sort();
  const right = keys.map((k) => bySubject.get(k)!.right);
  const total = keys.map((k) => bySubject.get(k)!.total);
  return {
    accuracy: answers.length ? right.reduce((x, y) => x + y, 0) / answers.length : NaN,
    interval: clusterRatioInterval(right, total),
    images: new Set(answers.map((a) => a.file)).size,
    people: keys.length,
  };
}

const isShared = (c: string) => (SHARED_CLASSES as readonly string[]).includes(c);

/** One peer under one rule: overall and per class, and how often it answered neutral. */
export interface PeerScores {
  name: PeerName;
  rule: Rule;
  overall: Score;
  perClass: { class: string; score: Score; neutral: number }[];
  /** The share of the six classes' images answered "neutral" (0 under six-way). */
  neutral: number;
}

/** A peer's scores on the six shared classes of its record. */
export function peerScores(record: PeerRecord, name: PeerName, rule: Rule): PeerScores {
  const p = record.peers.find((x) => x.name === name);
  if (!p) throw new Error(`peers record has no ${name}`);
  const rows = record.files
    .map((file, i) => {
      const truth = file.split("/")[0];
      const answer = peerAnswer(p.probs[i], p.outputs, rule);
      return { file, truth, subject: subjectOf(file), answer, right: answer === truth };
    })
    .filter((r) => isShared(r.truth));
  const neutralShare = (rs: typeof rows) => rs.filter((r) => r.answer === null).length / rs.length;
  return {
    name,
    rule,
    overall: score(rows),
    perClass: SHARED_CLASSES.map((c) => {
      const rs = rows.filter((r) => r.truth === c);
      return { class: c, score: score(rs), neutral: neutralShare(rs) };
    }),
    neutral: neutralShare(rows),
  };
}

/** Our CNN on the six shared classes under one rule: each run's accuracy over seeds, and all runs' answers pooled. */
export interface OurScores {
  rule: Rule;
  /** Over seeds: each run's accuracy on its own test images of the six classes. */
  overall: Spread;
  /** All runs' answers pooled, the people resampled: the interval that is read like a peer's. */
  pooled: Score;
  perClass: { class: string; spread: Spread; pooled: Score }[];
}

/**
 * Our CNN on the six shared classes, from each study run's stored test probabilities. As shipped, a contempt answer
 * is a miss (as neutral is for the peers); six-way, contempt is ignored and the best of the six shared classes wins.
 */
export function ourScores(runs: readonly RunAnswers[], rule: Rule = "as shipped"): OurScores {
  const perRun = runs.map((r) => {
    const contempt = r.classes.indexOf("contempt");
    return r.test.predictions
      .map((p) => {
        const best = argmaxWhere(p.probs, (k) => rule === "as shipped" || k !== contempt);
        return { file: p.file, subject: subjectOf(p.file), truth: r.classes[p.label], right: best === p.label };
      })
      .filter((a) => isShared(a.truth));
  });
  const acc = (as: readonly Answer[]) => as.filter((a) => a.right).length / as.length;
  const all = perRun.flat();
  return {
    rule,
    overall: spread(perRun.map(acc), { range: [0, 1] }),
    pooled: score(all),
    perClass: SHARED_CLASSES.map((c) => ({
      class: c,
      spread: spread(
        perRun.map((as) => acc(as.filter((a) => a.truth === c))),
        { range: [0, 1] },
      ),
      pooled: score(all.filter((a) => a.truth === c)),
    })),
  };
}

/**
 * Accuracy per sequence, as the sequence models of the literature are scored: each sequence's frames' probabilities
 * averaged, then the highest class; the spread is over runs (seeds). All seven classes.
 */
export function sequenceAccuracy(runs: readonly RunAnswers[]): Spread {
  return spread(
    runs.map((r) => {
      const bySeq = new Map<string, { label: number; sum: number[] }>();
      for (const p of r.test.predictions) {
        const key = sequenceOf(p.file);
        const s = bySeq.get(key) ?? { label: p.label, sum: p.probs.map(() => 0) };
        p.probs.forEach((v, k) => (s.sum[k] += v));
        bySeq.set(key, s);
      }
      const seqs = [...bySeq.values()];
      return seqs.filter((s) => argmax(s.sum) === s.label).length / seqs.length;
    }),
    { range: [0, 1] },
  );
}

/** Image accuracy over seeds (all seven classes), each run's pooled test accuracy recomputed from its predictions. */
export function imageAccuracy(runs: readonly RunAnswers[]): Spread {
  return spread(
    runs.map((r) => r.test.predictions.filter((p) => argmax(p.probs) === p.label).length / r.test.predictions.length),
    { range: [0, 1] },
  );
}

/** The splits whose test people were never seen in training: ours beside the peers. */
export const OUR_SPLITS: readonly string[] = ["subject-cv", "subject"];

/** The splits of the literature's table, in its order. */
export const LITERATURE_SPLITS: readonly string[] = ["subject-cv-fan", "subject-cv", "random"];

/** Everything figures/peers.md, its figure, notebook 06 and the README say about the peers. */
export interface PeerComparison {
  images: number;
  people: number;
  peers: { info: (typeof PEERS)[PeerName]; version: string; seconds: number; scores: Record<Rule, PeerScores> }[];
  /** Ours on people it never saw (the subject splits with runs), under each rule. */
  ours: { split: string; runs: number; scores: Record<Rule, OurScores> }[];
  /** Ours on all seven classes per split with runs, per image and per sequence, for the literature's table. */
  literature: { split: string; runs: number; images: Spread; sequences: Spread }[];
}

/** Ours on all seven classes per split with runs, per image and per sequence (the literature's table). */
export function literatureOf(study: { split: string; runs: RunAnswers[] }[]): PeerComparison["literature"] {
  return study
    .filter((s) => s.runs.length && LITERATURE_SPLITS.includes(s.split))
    .map((s) => ({
      split: s.split,
      runs: s.runs.length,
      images: imageAccuracy(s.runs),
      sequences: sequenceAccuracy(s.runs),
    }));
}

/** The committed study's runs of every split the peers' page reads. */
export function committedStudy(dir = STUDY): { split: string; runs: RunAnswers[] }[] {
  return [...new Set([...OUR_SPLITS, ...LITERATURE_SPLITS])].map((split) => ({
    split,
    runs: studyRecords(split, dir),
  }));
}

/**
 * The cross-data-set comparison alone (the live demo's caveat): the peer that has never seen a CK+ face, as shipped,
 * beside ours on people it never saw (the first of {@link OUR_SPLITS} with runs, all runs pooled). Computes only
 * these two scores, not the whole {@link PeerComparison}; undefined without the record or such runs.
 */
export function crossDataScores(
  file = PEERS_FILE,
  dir = STUDY,
): { peer: (typeof PEERS)[PeerName]; theirs: Score; split: string; ours: Score } | undefined {
  const record = findPeers(file);
  const peer = record?.peers.find((p) => !PEERS[p.name].seenCk);
  if (!record || !peer) return undefined;
  for (const split of OUR_SPLITS) {
    const runs = studyRecords(split, dir);
    if (runs.length)
      return {
        peer: PEERS[peer.name],
        theirs: peerScores(record, peer.name, "as shipped").overall,
        split,
        ours: ourScores(runs, "as shipped").pooled,
      };
  }
  return undefined;
}

/** The comparison from the committed peers record and study, or undefined before `npm run peers`. */
export function committedPeerComparison(file = PEERS_FILE, dir = STUDY): PeerComparison | undefined {
  const record = findPeers(file);
  return record ? peerComparison(record, committedStudy(dir)) : undefined;
}

/** The peers' scores (both rules) and ours on the subject-independent splits, from the records. */
export function peerComparison(record: PeerRecord, study: { split: string; runs: RunAnswers[] }[]): PeerComparison {
  const peers = record.peers.map((p) => ({
    info: PEERS[p.name],
    version: p.version,
    seconds: p.seconds,
    scores: Object.fromEntries(RULES.map((r) => [r, peerScores(record, p.name, r)])) as Record<Rule, PeerScores>,
  }));
  const first = peers[0]?.scores["as shipped"].overall;
  return {
    images: first?.images ?? 0,
    people: first?.people ?? 0,
    peers,
    literature: literatureOf(study),
    ours: study
      .filter((s) => s.runs.length && OUR_SPLITS.includes(s.split))
      .map((s) => ({
        split: s.split,
        runs: s.runs.length,
        scores: Object.fromEntries(RULES.map((r) => [r, ourScores(s.runs, r)])) as Record<Rule, OurScores>,
      })),
  };
}
