// ESLint (flat config), `npm run lint` (part of `npm test`): typescript-eslint's recommended rules plus
// the type-aware rules that catch real bugs: a promise nobody awaits or catches (no-floating-promises),
// a promise where a callback's result is ignored or a condition is expected (no-misused-promises),
// awaiting what is not a promise (await-thenable), and type-only imports marked as such
// (consistent-type-imports: they vanish from the JavaScript, so they cannot create load-order cycles).
// `any` is allowed (no-explicit-any off): it marks the boundaries with untyped data (JSON Schema
// validators, parsed YAML, test fixtures), and the type-aware rules above are what catch its misuse.
// Import cycles: test/architecture.test.ts (type-only imports included, and the layering).
// Formatting is prettier's (.prettierrc.json, `npm run format`), not ESLint's.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "src/api/generated/**", "test/crds/**", "coverage/**", "templates/**", "test/**/assembly/**"] },
  js.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ["**/*.ts"],
    extends: [...tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ["vitest.config.ts"] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
