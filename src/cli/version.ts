/** The package version (kept in sync with package.json by a test). */
export const VERSION = "0.1.0";
