/**
 * The published book (docs/, `npm run book -- --public --out docs`) in a real browser (Debian's chromium through
 * playwright-core, as the demo's test): every page loads from file:// with no console error and no request outside the
 * site, every image decodes, every equation is typeset (no raw $…$ left in the text), every link resolves, and the
 * sidebar reaches every notebook. Takes the README's screenshot (figures/book.png with FER_SCREENSHOT=1, else
 * out/book.png).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { chromium, type Browser } from "playwright-core";
import { FIGURES, NOTEBOOKS, ROOT } from "../../lib/paths";

const CHROMIUM = "/usr/bin/chromium";

/** The equations ($…$ and $$…$$) in the Markdown cells of the notebook a page shows (0 for other pages). */
function mathIn(page: string): number {
  const file = path.join(NOTEBOOKS, page.replace(/\.html$/, ".ipynb"));
  if (!fs.existsSync(file)) return 0;
  const nb = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { cell_type: string; source: string[] }[] };
  const md = nb.cells
    .filter((c) => c.cell_type === "markdown")
    .map((c) => c.source.join(""))
    .join("\n");
  return (md.match(/\$\$[\s\S]+?\$\$|\$[^$\s][^$\n]*?\$/g) ?? []).length;
}
const DOCS = path.join(ROOT, "docs");

/** Hosts the book may link to for further reading. */
const READING_HOSTS = ["d2l.ai", "github.com", "arxiv.org", "doi.org", "www.tensorflow.org", "js.tensorflow.org"];

describe("book: docs/ in chromium", function () {
  this.timeout(300_000);
  let browser: Browser;
  let pages: string[];
  before(async function () {
    if (!fs.existsSync(CHROMIUM) || !fs.existsSync(path.join(DOCS, "book.json"))) this.skip();
    pages = (JSON.parse(fs.readFileSync(path.join(DOCS, "book.json"), "utf8")) as { pages: string[] }).pages;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
  });
  after(async () => browser?.close());

  it("every page loads with no console error and no request outside the site; images decode; equations typeset", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const outside: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`failed: ${r.url()}`));
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(`file://${DOCS}/`) && !u.startsWith("data:")) outside.push(u);
    });
    for (const p of pages) {
      await page.goto(`file://${path.join(DOCS, p)}`, { waitUntil: "load" });
      const images = await page.$$eval("img", (els) =>
        els.map((e) => ({
          src: e.getAttribute("src"),
          ok: (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0,
        })),
      );
      for (const i of images) expect(i.ok, `${p}: ${i.src}`).to.equal(true);
      // Text outside code: a $…$ left there is an equation KaTeX did not typeset.
      const prose = await page.$eval("main", (m) => {
        const c = m.cloneNode(true) as HTMLElement;
        c.querySelectorAll("pre, code, .katex").forEach((e) => e.remove());
        return c.textContent ?? "";
      });
      expect(prose, p).to.not.match(/\$\$|\$[^$\s][^$\n]*\$/);
      // as many typeset equations as the notebook's Markdown writes (outputs may add more)
      const equations = await page.$$eval(".katex", (els) => els.length);
      expect(equations, p).to.be.at.least(mathIn(p));
    }
    expect(problems).to.deep.equal([]);
    expect(outside).to.deep.equal([]);
  });

  it("every link resolves (pages, anchors, the notebooks' sources), and the sidebar reaches every notebook", async () => {
    const page = await browser.newPage();
    const broken: string[] = [];
    for (const p of pages) {
      await page.goto(`file://${path.join(DOCS, p)}`);
      const links = await page.$$eval("a[href]", (els) => els.map((e) => e.getAttribute("href")!));
      for (const href of links) {
        if (/^[a-z]+:/.test(href)) {
          // Reading links out of the site (d2l's chapters, fastbook, papers) are fine, to these hosts over https only;
          // they are not fetched here (no network), and no page loads anything from them.
          const host = /^https:\/\/([^/]+)\//.exec(href)?.[1];
          if (!host || !READING_HOSTS.includes(host)) broken.push(`${p}: ${href} leaves the site`);
          continue;
        }
        const [file, anchor] = href.split("#");
        const target = file ? path.resolve(DOCS, decodeURI(file)) : path.join(DOCS, p);
        if (!fs.existsSync(target)) broken.push(`${p}: ${href}`);
        else if (anchor && target.endsWith(".html") && !fs.readFileSync(target, "utf8").includes(`id="${anchor}"`))
          broken.push(`${p}: ${href} (no #${anchor})`);
      }
    }
    expect(broken).to.deep.equal([]);
    await page.goto(`file://${path.join(DOCS, "index.html")}`);
    const sidebar = await page.$$eval(".sidebar a", (els) => els.map((e) => e.getAttribute("href")));
    const notebooks = fs
      .readdirSync(NOTEBOOKS)
      .filter((f) => f.endsWith(".ipynb"))
      .map((f) => f.replace(/\.ipynb$/, ".html"));
    expect(sidebar).to.include.members(notebooks);
  });

  it("takes the README's screenshot of a page", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`file://${path.join(DOCS, "03-optim.html")}`);
    const dir = process.env.FER_SCREENSHOT === "1" ? FIGURES : path.join(ROOT, "out");
    fs.mkdirSync(dir, { recursive: true });
    // The page at its first equations (Eq. 1–2): typeset math, highlighted code and a table in one view.
    await page.$eval(".katex-display", (e) => e.scrollIntoView({ block: "start" }));
    await page.evaluate(() => window.scrollBy(0, -160));
    await page.screenshot({ path: path.join(dir, "book.png") });
    expect(fs.statSync(path.join(dir, "book.png")).size).to.be.above(10_000);
  });
});
