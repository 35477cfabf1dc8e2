/// <reference lib="dom" />
/**
 * The live demo's TensorFlow.js backend: webgl on a real GPU, else cpu-fast (lib/kernels/, the project's WebAssembly
 * kernels, registered in the page as in node), else tfjs' stock cpu. Browser only.
 */
import { tf } from "../tf";
import { FAST_BACKEND, registerFastBackend } from "../kernels";

/** The WebGL renderer's name (e.g. a GPU, or SwiftShader, Chromium's software GPU), or "" when the browser hides it. */
export function webglRenderer(): string {
  const gl =
    document.createElement("canvas").getContext("webgl2") ?? document.createElement("canvas").getContext("webgl");
  if (!gl) return "";
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
}

/**
 * Pick the backend: `?backend=` if given; else webgl on a real GPU, else cpu-fast (lib/kernels/: the project's
 * WebAssembly kernels, the default in node too), else tfjs' stock cpu. On a software GPU (SwiftShader, llvmpipe)
 * webgl is emulated on the CPU and slower than cpu-fast.
 */
export async function pickBackend(asked: string | null): Promise<string> {
  registerFastBackend(tf);
  const order = asked ? [asked] : ["webgl", FAST_BACKEND, "cpu"];
  for (const b of order) {
    try {
      if (await tf.setBackend(b)) {
        await tf.ready();
        if (!asked && b === "webgl" && isSoftwareGpu()) continue;
        return b;
      }
    } catch {
      // try the next one
    }
  }
  throw new Error(`no TensorFlow.js backend ${asked ?? order.join(", ")} in this browser`);
}

export const isSoftwareGpu = () => /swiftshader|llvmpipe|software/i.test(webglRenderer());

/** The backend chip's text and tooltip: webgl's float precision, and whether its GPU is emulated. */
export function backendLabel(backend: string): { textContent: string; title: string } {
  const precision =
    backend === "webgl" ? (tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") ? ", float32" : ", float16") : "";
  const software = backend === "webgl" && isSoftwareGpu();
  return {
    textContent: `${backend}${precision}${software ? ", software GPU" : ""}`,
    title: software ? `${webglRenderer()}: WebGL emulated on the CPU; the cpu-fast backend is faster here` : "",
  };
}

/** The backend menu: shows `?backend=` (or auto) and reloads the page with the one chosen; returns the one asked for. */
export function wireBackendChoice(select: HTMLSelectElement): string | null {
  const asked = new URLSearchParams(location.search).get("backend");
  select.value = asked ?? "auto";
  select.addEventListener("change", () => {
    const q = new URLSearchParams(location.search);
    if (select.value === "auto") q.delete("backend");
    else q.set("backend", select.value);
    location.search = q.toString();
  });
  return asked;
}
