/**
 * lib/render.ts's text widths against DejaVu Sans' own advance widths (read from the font files with fontTools:
 * "0" 1303, "W" 2025, "i" 569 units of 2048 in the regular face, "0" 1425 in bold), and vega really laying out with
 * them. The rest of the renderer is tested through the figures (test/figures.test.ts).
 */
import { expect } from "chai";
import * as vega from "vega";
import { renderSvg, textWidth } from "../lib/render";

describe("render: text widths of DejaVu Sans", () => {
  it("sum the font's advance widths, regular and bold; a character outside the table counts as the .notdef box", () => {
    expect(textWidth("00", 16)).to.equal((2 * 1303 * 16) / 2048);
    expect(textWidth("Wi", 11)).to.equal(((2025 + 569) * 11) / 2048);
    expect(textWidth("0", 16, true)).to.equal((1425 * 16) / 2048);
    expect(textWidth("", 12)).to.equal(0);
    // a character outside the table (a CJK ideograph) counts as the font's .notdef box, not zero
    expect(textWidth("\u4e00", 10)).to.be.above(0);
  });

  it("are what vega measures with (trimmed, default size 11, bold from the weight, capped at the label limit)", () => {
    const width = (vega as unknown as { textMetrics: { width: (item: object, text: string) => number } }).textMetrics
      .width;
    expect(width({ fontSize: 16 }, " 00 ")).to.equal(textWidth("00", 16));
    expect(width({}, "00")).to.equal(textWidth("00", 11));
    expect(width({ fontSize: 16, fontWeight: "bold" }, "0")).to.equal(textWidth("0", 16, true));
    expect(width({ fontSize: 16, fontWeight: 700 }, "0")).to.equal(textWidth("0", 16, true));
    expect(width({ fontSize: 16, limit: 10 }, "0000")).to.equal(10);
  });

  it("set the layout: a chart labelled with narrow letters is narrower than one with as many wide letters", async () => {
    const chart = (label: string) =>
      renderSvg({
        data: { values: [{ k: label, v: 1 }] },
        mark: "bar",
        encoding: { y: { field: "k", type: "nominal", title: null }, x: { field: "v", type: "quantitative" } },
      });
    const svgWidth = (svg: string) => Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);
    const narrow = svgWidth(await chart("iiiiiiiiiiii"));
    const wide = svgWidth(await chart("WWWWWWWWWWWW"));
    // 12 × (2025 − 569) / 2048 × 11 px ≈ 93.8 px apart (vega's guess of 0.8 em per character would make them equal)
    expect(wide - narrow).to.be.closeTo((12 * (2025 - 569) * 11) / 2048, 2);
  });
});
