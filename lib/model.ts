/**
 * Section 2.2 / Fig 3 of the paper: the CNN. A factory, so every fold trains a fresh model.
 *
 * conv 6@5×5 → maxpool 2 → conv 16@5×5 → maxpool 2 → conv 64@3×3 → maxpool 2 → flatten → dense 128 + dropout
 * → dense 7 softmax; valid padding, ReLU. 86,911 trainable parameters.
 */
import { tf } from "./tf";
import { PAPER, NUM_CLASSES, type PaperConfig } from "./config";

/** One row of the layer table (Fig 3, notebook 2): what a layer is and what it produces. */
export interface LayerSummary {
  name: string;
  /** "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout". */
  kind: string;
  /** Human description, e.g. "6 filters 5×5, ReLU". */
  detail: string;
  /** Output shape without the batch dimension. */
  outputShape: number[];
  params: number;
}

/**
 * Build the paper's CNN (Section 2.2). Kernels are initialised glorot-uniform as Keras does (tfjs-layers defaults
 * to glorot-normal), biases at zero; `seed` makes the initial weights and dropout masks reproducible.
 */
export function createModel(seed = 0, config: Pick<PaperConfig, "imageSize" | "channels" | "dropout"> = PAPER): import("@tensorflow/tfjs").Sequential {
  let s = seed * 1000;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const m = tf.sequential({ name: "fer_cnn" });
  m.add(tf.layers.conv2d({ inputShape: [config.imageSize, config.imageSize, config.channels], filters: 6, kernelSize: 5, padding: "valid", activation: "relu", kernelInitializer: init(), name: "conv1" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: "valid", activation: "relu", kernelInitializer: init(), name: "conv2" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool2" }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "valid", activation: "relu", kernelInitializer: init(), name: "conv3" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, name: "pool3" }));
  m.add(tf.layers.flatten({ name: "flatten" }));
  m.add(tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: init(), name: "dense1" }));
  m.add(tf.layers.dropout({ rate: config.dropout, seed: s++, name: "dropout" }));
  m.add(tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", kernelInitializer: init(), name: "output" }));
  return m;
}

/** The layer table of a model: kinds, sizes, output shapes and parameter counts (drawn in Fig 3). */
export function summarize(model: import("@tensorflow/tfjs").LayersModel): LayerSummary[] {
  return model.layers.map((l) => {
    const cfg = l.getConfig() as Record<string, unknown>;
    const kind = l.getClassName();
    const act = typeof cfg.activation === "string" && cfg.activation !== "linear" ? `, ${cfg.activation === "relu" ? "ReLU" : cfg.activation}` : "";
    let detail = "";
    if (kind === "Conv2D") {
      const k = cfg.kernelSize as number[];
      detail = `${cfg.filters} filters ${k[0]}×${k[1]}, ${cfg.padding}${act}`;
    } else if (kind === "MaxPooling2D") {
      const p = cfg.poolSize as number[];
      detail = `${p[0]}×${p[1]}`;
    } else if (kind === "Dense") {
      detail = `${cfg.units} units${act}`;
    } else if (kind === "Dropout") {
      detail = `rate ${cfg.rate}`;
    }
    const shape = l.outputShape as (number | null)[];
    return { name: l.name, kind, detail, outputShape: shape.slice(1) as number[], params: l.countParams() };
  });
}
