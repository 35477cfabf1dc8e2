/**
 * The last step of Section 2.1's preprocessing, shared by every decoder: 8-bit pixels become the model's input.
 * Pure (no node, no TensorFlow.js), so node (lib/data/decode.ts, after sharp) and the demo's page (after a canvas)
 * run the same code.
 */

/**
 * The last step of Section 2.1's preprocessing, shared by every decoder (sharp here, a canvas in the browser demo,
 * lib/demo/page.ts): 8-bit pixels of a side × side image, `channels` bytes each (3: RGB as sharp gives; 4: RGBA as a canvas
 * gives, alpha dropped), become the model's input, RGB floats byte / 255, side × side × 3. With `grey`, each pixel is
 * first replaced on all three channels by its luma rounded to a byte (ITU-R BT.601 weights, 0.299 R + 0.587 G +
 * 0.114 B): the CK+48 faces are grey, so a colour camera picture is made grey as they are; a grey pixel (R = G = B)
 * keeps its value exactly. Pure (no node, no tfjs), so node and the page run the same code.
 *
 * @see notebooks/01-data.ipynb
 */
export function toModelInput(pixels: ArrayLike<number>, channels: 3 | 4, grey = false): Float32Array {
  const n = Math.floor(pixels.length / channels);
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const i = p * channels;
    if (grey) {
      const v = Math.round(0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2]) / 255;
      out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = v;
    } else {
      out[p * 3] = pixels[i] / 255;
      out[p * 3 + 1] = pixels[i + 1] / 255;
      out[p * 3 + 2] = pixels[i + 2] / 255;
    }
  }
  return out;
}
