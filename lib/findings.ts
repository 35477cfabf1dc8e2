/**
 * README's "What we found" (lib/cli/readme.ts writes it between its markers; the book's landing page shows it): a
 * few sentences whose every number comes from the committed study's summary, each one-run claim worded by the
 * ledger's own verdict (lib/claims.ts singleRun).
 */
import { PAPER_RESULTS } from "./config";
import { clipInterval, predictionInterval, type Spread } from "./stats";
import type { StudySummary } from "./summary";
import { pct } from "./display/text";
import { singleRun, splitOf } from "./claims";

/**
 * One run's number against our runs, in words: where it falls against the interval of the mean and one run's, and
 * the verdict {@link singleRun} gives it.
 */
function oneRunSentence(s: Spread, v: number): string {
  const { verdict } = singleRun(s, v, "test accuracy");
  const pi = clipInterval(predictionInterval(s), [0, 1]);
  const mean = s.t ? (v < s.t.lo ? "below" : v > s.t.hi ? "above" : "inside") : "beside";
  const one = verdict === "reproduced" || verdict === "consistent" ? "inside" : "outside";
  const so = verdict === "consistent" ? "consistent with one run of this protocol" : verdict;
  return `${mean} the interval of our mean, ${one} the 95% prediction interval for one run (${pct(pi?.lo)}–${pct(pi?.hi)}), so ${so}`;
}

/** The findings' Markdown from a study summary (or a sentence saying no study is committed). */
export function readmeFindings(summary: StudySummary | undefined): string {
  const random = splitOf(summary, "random");
  const subject = splitOf(summary, "subject");
  const cv = splitOf(summary, "subject-cv");
  if (!summary || !random?.accuracy.t)
    return "No study is committed yet: `npm run study` makes one (notebook 06 reads it).";
  const iv = (s: Spread) =>
    s.t ? `${pct(s.mean)} (95% interval ${pct(s.t.lo)}–${pct(s.t.hi)}, ${s.n} seeds)` : pct(s.mean);
  const gap = summary.gaps.find((g) => g.variant === "paper");
  const leakSeq = random.leak.find((l) => l.group === "sequence");
  const P = PAPER_RESULTS;
  const anger = random.perClass.find((c) => c.class === "anger");
  const angerVerdict = singleRun(anger?.accuracy, P.perClassAccuracy.anger ?? NaN, "anger accuracy").verdict;
  const angerRank =
    [...random.perClass].sort((a, b) => b.accuracy.mean - a.accuracy.mean).findIndex((c) => c.class === "anger") + 1;
  const fan = splitOf(summary, "subject-cv-fan");
  const sentences = [
    `**The paper's protocol gives ${iv(random.accuracy)}** on the random 80/20 split; single runs range from ${pct(random.accuracy.min)} to ${pct(random.accuracy.max)}. The paper's ${pct(P.testAccuracy)} is one run: ${oneRunSentence(random.accuracy, P.testAccuracy)}.`,
    leakSeq
      ? `On that split ${leakSeq.images.mean.toFixed(0)} of the ${random.runs[0].images} test images per run have a sibling frame of their sequence in training.`
      : "",
    subject?.accuracy.t
      ? `**Faces of people never seen in training: ${iv(subject.accuracy)}**${gap?.difference.t ? `; paired by seed, the random split adds ${(100 * gap.difference.mean).toFixed(1)} points (95% interval ${(100 * gap.difference.t.lo).toFixed(1)}–${(100 * gap.difference.t.hi).toFixed(1)}): memory of faces, not recognition of emotions.` : "."}`
      : "",
    cv?.accuracy.t
      ? `Subject-independent 10-fold cross-validation, the CK+ literature's protocol, gives ${iv(cv.accuracy)} pooled over all images${fan?.accuracy.t ? `, and ${iv(fan.accuracy)} on the literature's own published folds (Emotion-FAN's list)` : ""}.`
      : "",
    subject
      ? `Per class, on unseen people: ${[...subject.perClass]
          .sort((a, b) => b.accuracy.mean - a.accuracy.mean)
          .map((c) => `${c.class} ${pct(c.accuracy.mean, 0)}`)
          .join(
            ", ",
          )}; balanced accuracy ${pct(subject.balancedAccuracy.mean)}. The paper's "anger ${pct(P.perClassAccuracy.anger ?? NaN)}", also one run's number, is ${angerVerdict === "consistent" ? "consistent with one run" : angerVerdict} on the random split, where anger ranks ${angerRank} of 7 on average: see [figures/claims.md](figures/claims.md) for every claim with its verdict and the yardstick that decided it.`
      : "",
  ];
  return sentences.filter(Boolean).join(" ");
}
