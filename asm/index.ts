// AssemblyScript source of the WebAssembly SIMD kernels of the `cpu-fast` backend (lib/kernels/*.ts drive them), one
// file per kind: convolutions (conv.ts), element-wise ops and RMSprop (elementwise.ts), max pooling (pool.ts), Sum
// (reduce.ts), the augmentation's warp (transform.ts), and the machine's peak for the speed bound (peak.ts).
// Built by `npx tsx scripts/build-wasm.ts` from this entry into lib/kernels/wasm-binary.ts (base64); not part of the
// tsc project.
export * from "./conv";
export * from "./elementwise";
export * from "./pool";
export * from "./reduce";
export * from "./peak";
export * from "./transform";
export * from "./trunk";
