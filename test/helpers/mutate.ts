/**
 * Random damage to real files, for property-based tests (fast-check): a JSON document truncated, with bytes flipped,
 * a node set to null, a node of another type, a key deleted or an array emptied. Each mutation is a function of a
 * few whole numbers fast-check draws, so a failing case shrinks and replays from its seed.
 */
import fc from "fast-check";

export const KINDS = ["truncate", "flip", "null", "retype", "delete", "empty"] as const;
export type Kind = (typeof KINDS)[number];

/** What fast-check draws for one mutation. */
export const mutation = fc.record({ kind: fc.constantFrom(...KINDS), a: fc.nat(), b: fc.nat() });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Node {
  parent: Json[] | Record<string, Json>;
  key: string | number;
}

/**
 * The nodes of a JSON value by depth (the root's children at depth 0), up to `max` in all. Mutations pick a depth
 * first, then a node in it, so that the few structural nodes (a fold, a prediction) are hit as often as the many
 * leaves (the probabilities).
 */
function byDepth(v: Json, max = 50000): Node[][] {
  const out: Node[][] = [];
  let count = 0;
  const walk = (x: Json, depth: number) => {
    if (count >= max || x === null || typeof x !== "object") return;
    for (const [k, c] of Array.isArray(x) ? x.entries() : Object.entries(x)) {
      (out[depth] ??= []).push({ parent: x, key: k });
      count++;
      walk(c as Json, depth + 1);
    }
  };
  walk(v, 0);
  return out;
}

function retype(x: Json, b: number): Json {
  if (typeof x === "number") return b % 2 ? String(x) : [x];
  if (typeof x === "string") return b % 2 ? x.length : { s: x };
  if (typeof x === "boolean") return "yes";
  if (Array.isArray(x)) return b % 2 ? {} : "array";
  if (x && typeof x === "object") return b % 2 ? [] : 7;
  return 0;
}

/** The text of `doc` (a JSON document's text) damaged by one mutation. */
export function mutate(text: string, m: { kind: Kind; a: number; b: number }): string {
  if (m.kind === "truncate") return text.slice(0, m.a % Math.max(1, text.length));
  if (m.kind === "flip") {
    const buf = Buffer.from(text);
    for (let i = 0; i < 1 + (m.b % 4); i++) buf[(m.a + i * 7919) % buf.length] ^= 1 << ((m.b + i) % 8);
    return buf.toString("latin1");
  }
  const doc = JSON.parse(text) as Json;
  const levels = byDepth(doc);
  if (!levels.length) return "null";
  const level = levels[m.a % levels.length];
  const { parent, key } = level[m.b % level.length];
  const p = parent as Record<string | number, Json>;
  if (m.kind === "null") p[key] = null;
  else if (m.kind === "retype") p[key] = retype(p[key], m.b);
  else if (m.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete p[key];
  } else if (Array.isArray(p[key])) p[key] = [];
  else p[key] = retype(p[key], m.b);
  return JSON.stringify(doc);
}
