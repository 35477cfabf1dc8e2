/**
 * lib/book/: the book's pages from executed notebooks (a made-up one here, with every kind of output), the public
 * build without faces, the sources hash that tells a stale docs/, and the published docs/ itself: current, small, and
 * without any CK+48 face (compared pixel for pixel with every image of the data set, at every scale a grid uses).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { ROOT, NOTEBOOKS } from "../lib/paths";
import { readNotebook, renderMarkdown, showsFaces, FACES_TAG, type Notebook } from "../lib/book/render";
import fc from "fast-check";
import { mutate, mutation } from "./helpers/mutate";
import { settle } from "./helpers/outcome";
import { buildSite, sourcesHash, bookSources } from "../lib/book/site";
import { loadDataset } from "../lib/data/dataset";
import { realCk48 } from "./fixtures/ck48";
import { codeCells } from "./fixtures/notebooks";

const DOCS = path.join(ROOT, "docs");
/** A 2×1 grey PNG: a picture that is not a face, inlined in Markdown. */
const PNG_2x1 = "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAAAAADRSSBWAAAAC0lEQVR4nGNgaAAAAIMAgYfP7KQAAAAASUVORK5CYII=";
const PNG_1x1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

/** A made-up executed notebook: Markdown with an equation, a face cell, a chart, a table, printed text. */
function fakeNotebook(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        cell_type: "markdown",
        metadata: {},
        source: ["# 09 · A test notebook\n", "\n", "Eq. 1: $$L = -\\log p$$ and $x^2$."],
      },
      {
        cell_type: "code",
        metadata: { tags: [FACES_TAG] },
        source: "tslab.display.png(await imageGrid(faces));",
        outputs: [{ output_type: "display_data", data: { "image/png": PNG_1x1 } }],
      },
      {
        cell_type: "code",
        metadata: {},
        source: "tslab.display.markdown(answer(shearPicture()));",
        outputs: [
          {
            output_type: "display_data",
            data: {
              "text/markdown": `<details><summary>A</summary>\n\n<img alt="a" src="data:image/png;base64,${PNG_2x1}">\n\n</details>`,
            },
          },
        ],
      },
      {
        cell_type: "code",
        metadata: {},
        source: "const x = 1;",
        outputs: [
          { output_type: "display_data", data: { "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"/>' } },
          { output_type: "display_data", data: { "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"/>' } },
          { output_type: "display_data", data: { "text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |" } },
          { output_type: "stream", name: "stdout", text: ["printed <text>\n"] },
        ],
      },
    ],
  };
}

/** Every image file of a site: its assets, as paths. */
function siteImages(dir: string): string[] {
  const a = path.join(dir, "assets");
  return fs
    .readdirSync(a)
    .filter((f) => /\.(png|jpe?g|gif|webp)$/.test(f))
    .map((f) => path.join(a, f));
}

describe("book: pages from executed notebooks", function () {
  this.timeout(60_000);
  let tmp: string;
  let nbFile: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-book-"));
    nbFile = path.join(tmp, "09-test.ipynb");
    fs.writeFileSync(nbFile, JSON.stringify(fakeNotebook()));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("renders equations with KaTeX at build time and code with highlight.js", () => {
    const html = renderMarkdown("$$L = -\\sum_c y_c \\log p_c$$\n\n```ts\nconst a = 1;\n```");
    expect(html).to.include('class="katex-display"');
    expect(html).to.not.match(/\$\$/);
    expect(html).to.include('<span class="hljs-keyword">const</span>');
    expect(() => renderMarkdown("$\\frac{$")).to.throw();
  });

  it("writes every page with its outputs; images once each, as files; the faces only outside the public build", () => {
    for (const pub of [false, true]) {
      const out = path.join(tmp, pub ? "public" : "full");
      const site = buildSite({ notebooks: [nbFile], out, public: pub });
      expect(site.pages.slice(0, 4)).to.deep.equal(["index.html", "09-test.html", "figures.html", "claims.html"]);
      const page = fs.readFileSync(path.join(out, "09-test.html"), "utf8");
      expect(page).to.include("<title>09 · A test notebook · fer-ck48</title>");
      expect(page).to.include('class="katex-display"');
      expect(page).to.include("printed &lt;text&gt;");
      expect(page).to.include("<td>2</td>");
      expect(page).to.include('href="figures.html"'); // the sidebar
      const svgs = fs.readdirSync(path.join(out, "assets")).filter((f) => f.endsWith(".svg") && !f.includes("/"));
      expect(page.match(/<img src="assets\/[0-9a-f]{16}\.svg"/g)).to.have.length(2); // shown twice, stored once:
      expect(svgs.filter((f) => page.includes(f))).to.have.length(1);
      // the face cell's PNG only in the full build; the picture inlined in an answer's Markdown as a file in both
      expect(siteImages(out)).to.have.length(pub ? 1 : 2);
      expect(page).not.to.match(/data:image\//);
      expect(page.includes("Faces left out here")).to.equal(pub);
      const book = JSON.parse(fs.readFileSync(path.join(out, "book.json"), "utf8"));
      expect(book).to.deep.include({ public: pub, sources: sourcesHash() });
      for (const css of ["katex/katex.min.css", "highlight.css", "book.css"])
        expect(fs.existsSync(path.join(out, "assets", css)), css).to.equal(true);
      // KaTeX's stylesheet asks only for the fonts that are there
      const katex = fs.readFileSync(path.join(out, "assets", "katex", "katex.min.css"), "utf8");
      for (const m of katex.matchAll(/url\((fonts\/[^)]+)\)/g))
        expect(fs.existsSync(path.join(out, "assets", "katex", m[1])), m[1]).to.equal(true);
    }
  });

  it("the sources hash covers the notebooks, lib/, the runs and the figures' pages, in path order", () => {
    const files = bookSources();
    expect(files).to.include("notebooks/03-optim.ipynb");
    expect(files).to.include("lib/book/site.ts");
    expect(files).to.include("data/runs/study/summary.json");
    expect(files).to.include("figures/claims.md");
    expect(files).to.deep.equal(files.slice().sort());
    // nothing hidden: JupyterLab's .ipynb_checkpoints/ beside the notebooks is not a source
    expect(files.filter((f) => f.split("/").some((part) => part.startsWith(".")))).to.deep.equal([]);
    fs.mkdirSync(path.join(NOTEBOOKS, ".ipynb_checkpoints"), { recursive: true });
    const probe = path.join(NOTEBOOKS, ".ipynb_checkpoints", "probe-checkpoint.ipynb");
    fs.writeFileSync(probe, "{}");
    try {
      expect(bookSources()).to.deep.equal(files);
    } finally {
      fs.rmSync(probe);
    }
    expect(sourcesHash()).to.match(/^[0-9a-f]{64}$/);
  });
});

describe("book: which cells show faces", () => {
  it("every code cell that displays a raster image is tagged faces (so the public build leaves it out)", () => {
    for (const f of fs.readdirSync(NOTEBOOKS).filter((x) => x.endsWith(".ipynb"))) {
      const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, f), "utf8"));
      for (const c of codeCells(nb)) {
        const src = Array.isArray(c.source) ? c.source.join("") : c.source;
        if (/display\.(png|jpeg)\(/.test(src))
          expect(showsFaces(c as never), `${f}: ${src.slice(0, 60)}`).to.equal(true);
      }
    }
  });
});

/** The CK+48 faces as grey bytes, keyed by their first 8 pixels (a face found in an image is then checked whole). */
async function faceIndex(dir: string): Promise<Map<string, Uint8Array[]>> {
  const ds = await loadDataset(dir, { verify: false });
  const side = ds.size;
  const index = new Map<string, Uint8Array[]>();
  for (let i = 0; i < ds.files.length; i++) {
    const g = new Uint8Array(side * side);
    for (let p = 0; p < side * side; p++) g[p] = Math.round(ds.x[(i * side * side + p) * 3] * 255);
    const key = Array.from(g.subarray(0, 8)).join(",");
    index.set(key, [...(index.get(key) ?? []), g]);
  }
  return index;
}

/**
 * Does an image hold a CK+48 face, at any of the integer scales the face grids draw them with (nearest neighbour, so
 * every face pixel is an s × s block), anywhere in it? Checked on the grey (first) channel.
 */
export async function holdsFace(file: string, index: Map<string, Uint8Array[]>, side = 48): Promise<boolean> {
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const w = info.width;
  const h = info.height;
  for (let s = 1; s <= 6; s++) {
    if (side * s > w || side * s > h) break;
    for (let y = 0; y + side * s <= h; y++) {
      for (let x = 0; x + side * s <= w; x++) {
        let key = "";
        for (let k = 0; k < 8; k++) key += (k ? "," : "") + data[y * w + x + k * s];
        const candidates = index.get(key);
        if (!candidates) continue;
        for (const face of candidates) {
          let same = true;
          for (let p = 0; p < side * side && same; p++)
            same = data[(y + Math.floor(p / side) * s) * w + x + (p % side) * s] === face[p];
          if (same) return true;
        }
      }
    }
  }
  return false;
}

describe("book: the published docs/", function () {
  this.timeout(300_000);
  before(function () {
    if (!fs.existsSync(path.join(DOCS, "book.json"))) this.skip();
  });

  it("is current: built from the sources as they are (else: npm run book -- --public --out docs)", () => {
    const book = JSON.parse(fs.readFileSync(path.join(DOCS, "book.json"), "utf8"));
    expect(book.public).to.equal(true);
    expect(book.sources, "docs/ is stale: run npm run book -- --public --out docs").to.equal(sourcesHash());
  });

  it("is small: under 10 MB", () => {
    const size = (d: string): number =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .reduce(
          (n, e) => n + (e.isDirectory() ? size(path.join(d, e.name)) : fs.statSync(path.join(d, e.name)).size),
          0,
        );
    expect(size(DOCS)).to.be.below(10e6);
  });

  it("holds no CK+48 face: every image in it compared with every image of the data set (skipped without CK+48)", async function () {
    const dir = realCk48();
    if (!dir) return this.skip();
    const index = await faceIndex(dir);
    // the check finds a face where there is one: a 48×48 face, and one enlarged 3× inside a larger picture
    const probe = fs.mkdtempSync(path.join(os.tmpdir(), "fer-faces-"));
    try {
      const face = [...index.values()][0][0];
      const plain = path.join(probe, "plain.png");
      await sharp(Buffer.from(face), { raw: { width: 48, height: 48, channels: 1 } })
        .png()
        .toFile(plain);
      expect(await holdsFace(plain, index)).to.equal(true);
      const big = path.join(probe, "big.png");
      await sharp(Buffer.from(face), { raw: { width: 48, height: 48, channels: 1 } })
        .resize(144, 144, { kernel: "nearest" })
        .extend({ top: 7, left: 11, bottom: 20, right: 30, background: "#ffffff" })
        .png()
        .toFile(big);
      expect(await holdsFace(big, index)).to.equal(true);
    } finally {
      fs.rmSync(probe, { recursive: true, force: true });
    }
    for (const f of siteImages(DOCS)) expect(await holdsFace(f, index), path.relative(ROOT, f)).to.equal(false);
    // and no page or chart embeds an image in any other way
    const texts = [
      ...fs
        .readdirSync(DOCS)
        .filter((x) => x.endsWith(".html"))
        .map((x) => path.join(DOCS, x)),
      ...fs
        .readdirSync(path.join(DOCS, "assets"))
        .filter((x) => x.endsWith(".svg"))
        .map((x) => path.join(DOCS, "assets", x)),
    ];
    for (const t of texts)
      expect(fs.readFileSync(t, "utf8"), path.relative(ROOT, t)).to.not.match(/data:image\/(png|jpe?g|gif|webp)/);
  });
});

describe("book: reading a damaged notebook (fast-check)", () => {
  it("every mutation of a real notebook gives a notebook or a one-line user error", () => {
    const text = fs.readFileSync(path.join(NOTEBOOKS, "03-optim.ipynb"), "utf8");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-fuzz-nb-"));
    const file = path.join(dir, "nb.ipynb");
    const seen = new Set<string>();
    try {
      fc.assert(
        fc.property(mutation, (m) => {
          fs.writeFileSync(file, mutate(text, m));
          seen.add(settle(() => readNotebook(file)));
        }),
        { numRuns: 300, seed: 25 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect([...seen]).to.include("user error");
  });
});
