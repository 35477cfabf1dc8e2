/** Class labels as numbers (Section 2.1: one-hot over the 7 classes in the paper's order). Pure. */
import { NUM_CLASSES } from "../config";

/** Number of images per class, in class order. */
export function classCounts(labels: number[]): number[] {
  const c = new Array(NUM_CLASSES).fill(0);
  labels.forEach((l) => c[l]++);
  return c;
}
