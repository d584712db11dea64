/** Declarations of scripts/check-package.mjs for the tests that use it. */
export declare const TYPESCRIPTS: Record<string, string>;
export declare const RESOLUTIONS: [string, string][];
export declare const README_PRELUDE: string;
/** The README's ```ts blocks grouped by `## ` section, each marked example in a group of its own. */
export declare function readmeExamples(markdown: string): { section: string; code: string }[];
