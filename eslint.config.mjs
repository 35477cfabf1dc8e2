// npm run lint: a small rule set on top of ESLint's and typescript-eslint's recommended ones. The rules that matter
// here are about imports (all at the top, one statement per module, `import type` for types only) and unused code;
// the rest is what the recommended sets already catch.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "out/",
      "node_modules/",
      "notebooks/",
      "asm/",
      "data/",
      "figures/",
      "docs/",
      "lib/kernels/wasm-binary.ts",
      "lib/font-widths.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mjs", "**/*.js"],
    plugins: { "import-x": importX },
    rules: {
      "import-x/first": "error",
      "import-x/no-duplicates": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // chai's property assertions (`expect(x).to.be.NaN`) are expressions by design.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
  {
    files: ["scripts/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
        module: "writable",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
