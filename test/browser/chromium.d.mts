/** Types of chromium.mjs (the Chromium the real-browser tests drive). */
export interface ChromiumChoice {
  /** the binary to launch */
  executablePath: string;
  /** the environment to launch it with */
  env: Record<string, string | undefined>;
  /** 'CHROMIUM_PATH', '@sparticuz/chromium@<version>' or 'Debian chromium' */
  source: string;
  /** why earlier choices were passed over */
  skipped: string[];
}
/** The Chromium to test with; throws, listing what was tried, when none is usable. */
export function findChromium(): ChromiumChoice;
/** The shared libraries `ldd` reports as "not found" for `binary`. */
export function missingLibraries(binary: string, env?: Record<string, string | undefined>): string[];
