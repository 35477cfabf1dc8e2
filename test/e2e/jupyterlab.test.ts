/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The notebooks in real JupyterLab 4 (scripts/jupyterlab.sh makes out/jupyterlab; .ci/run calls it), driven in
 * Debian's chromium: each notebook opened from the file browser's root, Run All, and then every code cell has run, no
 * cell printed to stderr (tslab reports a failed cell as stderr text and an error status, not as an error output), the
 * charts, tables and images are in the page, and no listing line wraps (JupyterLab's rendered Markdown sets
 * `white-space: pre-wrap` on code). Skipped where JupyterLab or chromium is not installed.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { spawn, type ChildProcess } from "child_process";
import { chromium, type Browser } from "playwright-core";
import { NOTEBOOKS, ROOT } from "../../lib/paths";

const CHROMIUM = "/usr/bin/chromium";
const JUPYTER = path.join(ROOT, "out", "jupyterlab", "bin", "jupyter");
const TOKEN = "fer-ck48-test";

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** What a notebook showed in JupyterLab after Run All. */
interface LabResult {
  codeCells: number;
  executed: number;
  stderr: string[];
  svgs: number;
  tables: number;
  images: { src: string; ok: boolean }[];
  wrapped: string[];
}

describe("notebooks in JupyterLab (chromium)", function () {
  this.timeout(1_200_000);
  let server: ChildProcess;
  let browser: Browser;
  let base: string;
  let log = "";
  before(async function () {
    if (!fs.existsSync(JUPYTER) || !fs.existsSync(CHROMIUM)) {
      console.log("      (skipped: no out/jupyterlab; bash scripts/jupyterlab.sh makes it, as .ci/run does)");
      this.skip();
    }
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(
      JUPYTER,
      [
        "lab",
        "--no-browser",
        `--port=${port}`,
        "--ServerApp.ip=127.0.0.1",
        `--IdentityProvider.token=${TOKEN}`,
        `--ServerApp.root_dir=${ROOT}`,
        "--LabApp.expose_app_in_browser=True",
        "--allow-root", // CI runs as root
      ],
      { cwd: ROOT, env: { ...process.env, FER_QUICK: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    server.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    server.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    let exited = false;
    server.once("exit", () => (exited = true));
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(`${base}/api/status?token=${TOKEN}`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (exited || i > 120) throw new Error(`JupyterLab did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const f of fs.readdirSync(NOTEBOOKS).filter((x) => x.endsWith(".ipynb")))
      committed.set(path.join(NOTEBOOKS, f), fs.readFileSync(path.join(NOTEBOOKS, f), "utf8"));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
  });
  // The committed notebooks as they were before JupyterLab opened them: running them must not save them.
  const committed = new Map<string, string>();
  after(async () => {
    await browser?.close();
    server?.kill("SIGTERM");
  });

  it("the file browser shows the notebooks and not notebooks/node_modules", async () => {
    const r = await fetch(`${base}/api/contents/notebooks?token=${TOKEN}`);
    const names = ((await r.json()) as { content: { name: string }[] }).content.map((c) => c.name);
    expect(names).to.include("01-data.ipynb");
    expect(names).to.not.include("node_modules");
  });

  const notebooks = fs
    .readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  for (const nb of notebooks) {
    it(`${nb}: Run All runs every cell, prints nothing to stderr, renders its outputs, wraps no listing`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // Only the server: JupyterLab's announcements and anything else that would leave the machine are refused.
      await page.route(/.*/, (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
      // A workspace of its own, reset: only this notebook is open.
      await page.goto(`${base}/lab/workspaces/${nb.replace(/\W/g, "-")}/tree/notebooks/${nb}?token=${TOKEN}&reset`);
      await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 120_000 });
      await page.waitForFunction(
        () => {
          const app = (
            window as unknown as {
              jupyterapp?: {
                shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
              };
            }
          ).jupyterapp;
          return app?.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle";
        },
        undefined,
        { timeout: 120_000 },
      );
      await page.evaluate(() =>
        (
          window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }
        ).jupyterapp.commands.execute("notebook:run-all-cells"),
      );
      // Done when every code cell has an execution count (or one failed: JupyterLab then stops, leaving the rest).
      await page.waitForFunction(
        () => {
          const root = (window as unknown as { jupyterapp: { shell: { currentWidget?: { node: HTMLElement } } } })
            .jupyterapp.shell.currentWidget!.node;
          const prompts = [...root.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map((p) => p.textContent ?? "");
          const kernel = (
            window as unknown as {
              jupyterapp: {
                shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
              };
            }
          ).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status;
          return (
            kernel === "idle" &&
            !prompts.some((p) => p.includes("*")) &&
            (prompts.every((p) => /\[\d+\]/.test(p)) ||
              root.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]'))
          );
        },
        undefined,
        { timeout: 900_000, polling: 1000 },
      );
      const r: LabResult = await page.evaluate(() => {
        const nbEl = (window as unknown as { jupyterapp: { shell: { currentWidget?: { node: HTMLElement } } } })
          .jupyterapp.shell.currentWidget!.node;
        const prompts = [...nbEl.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map((p) => p.textContent ?? "");
        const outputs = nbEl.querySelectorAll(".jp-OutputArea-output");
        // A <pre> wraps when its content box is taller than its lines (clientHeight: a horizontal scrollbar, which a
        // long unwrapped line brings, does not count): one line's height is measured on a probe of the same style.
        const wrapped: string[] = [];
        for (const pre of nbEl.querySelectorAll<HTMLElement>(".jp-RenderedMarkdown pre, .jp-RenderedHTMLCommon pre")) {
          const lines = (pre.textContent ?? "").replace(/\n$/, "").split("\n");
          const probe = pre.cloneNode(false) as HTMLElement;
          probe.textContent = "x\nx";
          pre.parentElement!.appendChild(probe);
          const two = probe.clientHeight;
          probe.textContent = "x";
          const one = probe.clientHeight;
          probe.remove();
          const expected = one + (lines.length - 1) * (two - one);
          if (pre.clientHeight > expected + (two - one) / 2)
            wrapped.push(lines.reduce((a, b) => (b.length > a.length ? b : a), "").slice(0, 100));
        }
        return {
          codeCells: prompts.length,
          executed: prompts.filter((p) => /\[\d+\]/.test(p)).length,
          stderr: [...nbEl.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')].map((e) =>
            (e.textContent ?? "").slice(0, 300),
          ),
          svgs: [...outputs].reduce((n, o) => n + o.querySelectorAll("svg").length, 0),
          tables: [...outputs].reduce((n, o) => n + o.querySelectorAll("table").length, 0),
          images: [...nbEl.querySelectorAll<HTMLImageElement>(".jp-OutputArea-output img")].map((i) => ({
            src: i.src.slice(0, 60),
            ok: i.complete && i.naturalWidth > 0,
          })),
          wrapped,
        };
      });
      await page.close();
      expect(r.stderr, nb).to.deep.equal([]);
      expect(r.executed, `${nb}: cells run`).to.equal(r.codeCells);
      for (const i of r.images) expect(i.ok, `${nb}: image ${i.src}`).to.equal(true);
      expect(r.svgs + r.tables + r.images.length, `${nb}: outputs in the page`).to.be.above(0);
      expect(r.wrapped, `${nb}: listing lines that wrap`).to.deep.equal([]);
    });
  }

  it("leaves the committed notebooks as they are (no autosave of outputs)", () => {
    for (const [f, text] of committed) expect(fs.readFileSync(f, "utf8"), f).to.equal(text);
  });
});
