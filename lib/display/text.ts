/**
 * Text for people: Markdown tables, HTML escaping and the project's number formats (one percent format, signed
 * points, seconds). Pure strings: the notebooks, the figures' pages, the README and the commands share them, and the
 * browser can too.
 */

// ---------------------------------------------------------------------------------------------------------------

/** Escape text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A Markdown table; `align` per column ("l" or "r", default "l"); cells' pipes are escaped. */
export function markdownTable(headers: string[], rows: (string | number)[][], align: ("l" | "r")[] = []): string {
  const cell = (v: string | number) => String(v).replace(/\|/g, "\\|").replace(/\n/g, " ");
  for (const r of rows)
    if (r.length !== headers.length) throw new Error(`row has ${r.length} cells, header ${headers.length}`);
  return [
    `| ${headers.map(cell).join(" | ")} |`,
    `|${headers.map((_, i) => (align[i] === "r" ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** A fixed number of decimals, or "n/a" for NaN/null. */
export function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

/** A difference of fractions in signed percentage points ("+3.7", "−16.3"; `digits` decimals, default one). */
export function signedPoints(x: number, digits = 1): string {
  return `${x >= 0 ? "+" : "−"}${(100 * Math.abs(x)).toFixed(digits)}`;
}

/** An interval of fraction differences in signed percentage points, "[−3.8, +6.6]" ("[−NaN, −NaN]" without one). */
export function signedInterval(iv: { lo: number; hi: number } | null | undefined, digits = 1): string {
  return `[${signedPoints(iv?.lo ?? NaN, digits)}, ${signedPoints(iv?.hi ?? NaN, digits)}]`;
}

/** A fraction as a percentage with `digits` decimals (default one), or "n/a": the project's one percent format. */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(digits)}%`;
}

/** Seconds as "42 s" or "3 min 5 s". */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const whole = Math.round(s);
  if (whole < 90) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}
