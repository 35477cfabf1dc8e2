/**
 * `npm run demo`: the live demo. Serves, on this machine only, a page (lib/demo/page.html) whose script (lib/demo/page.ts)
 * runs the paper's CNN in the browser on a face from the webcam, an image file or a drawn face, and shows its 7
 * probabilities and the Grad-CAM map of the predicted class. Flags: the declaration {@link DEMO} below.
 *
 * The page's script is bundled at start-up, in memory, with esbuild: it bundles TypeScript directly, in about a
 * second, from the same lib/ modules the notebooks use, with no configuration file, no build step and no bundle to
 * commit; it is a well-kept bundler that the project already installs (tsx runs on it). Vite would bring a dev server
 * and many more dependencies for the same bundle.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import * as zlib from "zlib";
import * as esbuild from "esbuild";
import { PAPER_RUN, ROOT, STUDY, MANIFEST, shown } from "../paths";
import { UserError } from "../errors";
import { initBackend } from "../tf";
import { readManifest } from "../data/manifest";
import { loadModel } from "../save";
import { splitOf } from "../claims";
import { loadSummary } from "../summary";
import type { DemoFacts } from "../demo/widgets";
import { DETECTOR_FILES } from "../detect/face";
import { detectorDir, loadCropFit } from "../detect/load";
import { crossDataScores } from "../peers/compare";
import { defineCommand, defineCli, runCli, type Args } from "./args";

/** The flags of `npm run demo` (the one declaration: parser, --help, usage line and README table). */
export const DEMO = defineCommand({
  name: "demo",
  summary:
    "Serves the live demo on this machine and prints its address: the paper's CNN in the browser on a face from the webcam, an image file or a drawn face, with the 7 probabilities and the Grad-CAM map of the predicted class.",
  details:
    "Faces are found with TinyFaceDetector and cropped as CK+48 is (the manual box stays as a fallback). TensorFlow.js webgl in the browser on a real GPU, else cpu-fast (this project's WebAssembly kernels). Ctrl-C stops it.",
  flags: {
    model: {
      type: "string",
      arg: "DIR",
      help: "the model folder the page loads (tfjs layers format)",
      defaultText: "data/runs/paper/model",
    },
    port: { type: "int", min: 0, max: 65535, default: 8048, help: "the port to listen on (0: any free port)" },
    host: {
      type: "string",
      arg: "H",
      default: "127.0.0.1",
      help: "the address to listen on (browsers give the camera only to localhost or https pages)",
    },
  },
});

/** The page's script, the entry esbuild bundles. */
export const DEMO_ENTRY = path.join(ROOT, "lib", "demo", "page.ts");
/** The page's HTML. */
export const DEMO_PAGE = path.join(ROOT, "lib", "demo", "page.html");
/** The notebook with the subject-independent numbers the page's caveat links to. */
const STUDY_NOTEBOOK = "notebooks/06-study.ipynb";

/**
 * face-api's browser build imports the wasm backend beside webgl; the page runs webgl, cpu-fast or cpu, so the wasm backend
 * (and its .wasm files, which it would fetch) is left out as an empty module.
 */
const UNUSED_IN_PAGE = /^@tensorflow\/tfjs-backend-wasm(\/.*)?$/;

/** Node's own modules and the packages that exist only in node: the page's script must never reach them. */
const NODE_ONLY =
  /^(node:.*|fs|path|crypto|os|child_process|worker_threads|url|zlib|http|sharp|@tensorflow\/tfjs-node)$/;

/**
 * How lib/ becomes a browser bundle without a second copy of any function:
 * - lib/tf.ts starts a node backend (the cpu-fast kernels, or tfjs-node): in the page, `../tf` is plain
 *   `@tensorflow/tfjs`, whose webgl and cpu backends the page chooses between;
 * - lib/demo/ imports only browser-safe modules (lib/data/pixels.ts, lib/explain/attribution.ts, …): a node module
 *   imported by a lib/ module of the page is a build error naming it, so a new import cannot slip node code into the
 *   page; the node modules that packages mention on paths the browser never takes become empty modules;
 * - lib/ modules are declared free of side effects, so a module none of whose exports the page uses is left out
 *   whole instead of running its top-level code.
 */
export function browserPlugin(root: string = ROOT): esbuild.Plugin {
  const lib = path.join(root, "lib");
  return {
    name: "fer-ck48-browser",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, async (a) => {
        if (a.pluginData?.inner || !a.importer.startsWith(lib + path.sep)) return undefined;
        const r = await build.resolve(a.path, {
          kind: a.kind,
          resolveDir: a.resolveDir,
          importer: a.importer,
          pluginData: { inner: true },
        });
        if (r.errors.length || !r.path.startsWith(lib + path.sep)) return undefined;
        if (r.path === path.join(lib, "tf.ts")) return { path: "tf", namespace: "fer-browser-tf" };
        return { path: r.path, sideEffects: false };
      });
      build.onLoad({ filter: /.*/, namespace: "fer-browser-tf" }, () => ({
        contents: 'import * as tf from "@tensorflow/tfjs";\nexport { tf };\n',
        resolveDir: root,
        loader: "js",
      }));
      build.onResolve({ filter: NODE_ONLY }, (a) =>
        a.importer.startsWith(lib + path.sep)
          ? {
              errors: [
                {
                  text: `the page's script reaches the node-only module "${a.path}" (from ${path.relative(root, a.importer)}): keep lib/demo/'s imports browser-safe`,
                },
              ],
            }
          : // tfjs and seedrandom mention fs and crypto on code paths the browser never takes
            { path: a.path, namespace: "fer-node-only", sideEffects: false },
      );
      build.onResolve({ filter: UNUSED_IN_PAGE }, (a) => ({
        path: a.path,
        namespace: "fer-node-only",
        sideEffects: false,
      }));
      build.onLoad({ filter: /.*/, namespace: "fer-node-only" }, () => ({
        contents: "module.exports = {};\n",
        loader: "js",
      }));
    },
  };
}

/** The page's script: lib/demo/page.ts and what it imports, bundled and minified for the browser. */
export async function bundleDemo(entry: string = DEMO_ENTRY): Promise<{ js: string; ms: number }> {
  const t0 = performance.now();
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "browser",
    format: "iife",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
    absWorkingDir: ROOT,
    plugins: [browserPlugin()],
  });
  return { js: r.outputFiles[0].text, ms: performance.now() - t0 };
}

/** The numbers of the page's caveat: CK+48's images and people (data/manifest.csv) and the study's accuracies. */
export function demoFacts(model: string, summaryFile = path.join(STUDY, "summary.json")): DemoFacts {
  const rows = readManifest(MANIFEST);
  const facts: DemoFacts = { model, images: rows.length, subjects: new Set(rows.map((r) => r.subject)).size };
  if (fs.existsSync(summaryFile)) {
    const summary = loadSummary(summaryFile);
    for (const split of ["random", "subject"] as const) {
      const a = splitOf(summary, split)?.accuracy;
      if (a?.t) facts[split] = { mean: a.mean, lo: a.t.lo, hi: a.t.hi, seeds: a.n };
    }
  }
  facts.cropFit = loadCropFit();
  const cross = crossDataScores();
  if (cross?.theirs.interval && cross.ours.interval)
    facts.crossData = {
      peer: `${cross.peer.package}'s emotion model`,
      trainedOn: cross.peer.trainedOn.replace(/ \(.*\)$/, ""),
      accuracy: cross.theirs.accuracy,
      lo: cross.theirs.interval.lo,
      hi: cross.theirs.interval.hi,
      ours: cross.ours.accuracy,
      oursLo: cross.ours.interval.lo,
      oursHi: cross.ours.interval.hi,
    };
  return facts;
}

/** The HTML with the facts in its `<script id="facts">` (as JSON, `<` escaped so no text can close the script). */
export function pageHtml(facts: DemoFacts, template: string = fs.readFileSync(DEMO_PAGE, "utf8")): string {
  const json = JSON.stringify(facts).replace(/</g, "\\u003c");
  const slot = '<script id="facts" type="application/json">{}</script>';
  if (!template.includes(slot)) throw new Error(`${DEMO_PAGE} has no ${slot}`);
  return template.replace(slot, `<script id="facts" type="application/json">${json}</script>`);
}

/** A running demo server. */
export interface DemoServer {
  /** The page's address, e.g. http://127.0.0.1:8048/. */
  url: string;
  /** Bytes of the page's script (minified, and gzipped as sent to browsers that accept it). */
  bundleBytes: number;
  bundleGzipBytes: number;
  /** Milliseconds esbuild took. */
  bundleMs: number;
  server: http.Server;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/** One file the server sends: its bytes, type, and a gzipped copy when that is smaller. */
interface Asset {
  body: Buffer;
  type: string;
  gzip?: Buffer;
}

function asset(body: Buffer | string, type: string, compress = false): Asset {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: b, type, gzip: compress ? zlib.gzipSync(b, { level: 6 }) : undefined };
}

/** The path a request asks for, or undefined when its target is not a path this server could serve. */
export function requestPath(target: string | undefined): string | undefined {
  if (!target || !target.startsWith("/")) return undefined;
  try {
    return new URL(target, "http://localhost").pathname;
  } catch {
    return undefined; // e.g. "//[" : a malformed authority
  }
}

/** Answer one request from the served files: 400, 405, 404 or 200 (and HEAD without a body). */
function answer(files: Map<string, Asset>, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", connection: "close" }).end();
    return;
  }
  const pathname = requestPath(req.url);
  if (pathname === undefined) {
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("bad request target\n");
    return;
  }
  const f = files.get(pathname === "/index.html" ? "/" : pathname);
  if (!f) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`not found: ${pathname.slice(0, 200)}\n`);
    return;
  }
  const gz = f.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gz ? f.gzip! : f.body;
  res.writeHead(200, {
    "content-type": f.type,
    "content-length": body.length,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...(gz ? { "content-encoding": "gzip" } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Whether a --host is this machine only (the camera needs localhost or https anyway). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Check the model (lib/save.ts loadModel: the same one-line errors as predict), bundle the page, and serve on
 * `host:port` (port 0: a free one): `/` the page, `/demo.js` its script, `/model/…` model.json and the weight files
 * it lists, and the study notebook the caveat links to. Nothing else, and only GET or HEAD.
 */
export async function startDemo(opts: { modelDir: string; port: number; host: string }): Promise<DemoServer> {
  const model = await loadModel(opts.modelDir);
  model.dispose();
  const json = path.join(opts.modelDir, "model.json");
  const manifest = JSON.parse(fs.readFileSync(json, "utf8")) as { weightsManifest: { paths: string[] }[] };
  const files = new Map<string, Asset>();
  files.set("/model/model.json", asset(fs.readFileSync(json), "application/json"));
  for (const p of manifest.weightsManifest.flatMap((g) => g.paths)) {
    files.set(
      `/model/${p.split("/").map(encodeURIComponent).join("/")}`,
      asset(fs.readFileSync(path.join(opts.modelDir, p)), "application/octet-stream"),
    );
  }
  for (const f of DETECTOR_FILES)
    files.set(`/detector/${f}`, asset(fs.readFileSync(path.join(detectorDir(), f)), "application/octet-stream"));
  const bundle = await bundleDemo();
  const page = pageHtml(demoFacts(shown(opts.modelDir)));
  files.set("/", asset(page, "text/html; charset=utf-8", true));
  files.set("/demo.js", asset(bundle.js, "text/javascript; charset=utf-8", true));
  const nb = path.join(ROOT, STUDY_NOTEBOOK);
  if (fs.existsSync(nb)) files.set(`/${STUDY_NOTEBOOK}`, asset(fs.readFileSync(nb), "application/x-ipynb+json", true));

  const server = http.createServer((req, res) => {
    // Every request is answered with a status code: nothing a client sends may end the process.
    try {
      answer(files, req, res);
    } catch (e) {
      console.error(`demo: request ${JSON.stringify(String(req.url).slice(0, 80))} failed: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("internal error\n");
    }
  });
  // A request Node's parser refuses (a garbled request line, oversized headers): 400, and the socket closed.
  server.on("clientError", (_e, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE")
        reject(
          new UserError(
            `--port ${opts.port}: the port is in use (another demo?): stop that program, or give another --port (0 picks a free one)`,
          ),
        );
      else if (e.code === "EACCES")
        reject(
          new UserError(
            `--port ${opts.port}: not allowed to listen there (ports below 1024 need root): give a port from 1024 up, e.g. the default 8048`,
          ),
        );
      else if (e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND" || e.code === "EAI_AGAIN")
        reject(
          new UserError(
            `--host ${opts.host}: not an address of this machine (${e.code}): give 127.0.0.1 (the default) or localhost`,
          ),
        );
      else reject(e);
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  const hostPart = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${hostPart}:${port}/`,
    bundleBytes: files.get("/demo.js")!.body.length,
    bundleGzipBytes: files.get("/demo.js")!.gzip!.length,
    bundleMs: bundle.ms,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function demo(a: Args<typeof DEMO>): Promise<void> {
  const modelDir = path.resolve(a.model ?? path.join(PAPER_RUN, "model"));
  if (!isLoopback(a.host))
    console.log(
      `demo: warning: --host ${a.host} lets other machines on the network reach the demo; browsers give the camera only to localhost or https, so the webcam works only on this machine`,
    );
  const d = await startDemo({ modelDir, port: a.port, host: a.host });
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  console.log(
    `demo: model ${shown(modelDir)}; page script ${mb(d.bundleBytes)} (${mb(d.bundleGzipBytes)} gzipped), bundled in ${(d.bundleMs / 1000).toFixed(1)} s`,
  );
  console.log(`demo: open ${d.url} in a browser (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`demo: ${signal}, stopped`);
      void d.close().then(resolve);
    };
    process.once("SIGINT", () => stop("Ctrl-C"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

export const demoCommand = defineCli(DEMO, demo, { initBackend });

if (require.main === module) runCli(demoCommand);
