import { describe } from '../validate.ts';

/**
 * A small, strict command-line parser: `--name value`, `--name=value` and boolean flags.
 * Unknown options, missing values and repeated options are errors that name the option.
 */
export interface OptionSpec {
  name: string;
  /** 'flag' takes no value */
  kind: 'string' | 'number' | 'int' | 'flag' | 'list';
  default?: string | number | boolean | number[];
  help: string;
  /** the value's name in the help (default: from the kind, `<v1,v2,…>` for a list) */
  value?: string;
}

export type ParsedArgs = Record<string, string | number | boolean | number[] | undefined>;

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], command: string): { opts: ParsedArgs; positional: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const opts: ParsedArgs = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const spec = byName.get(name);
    if (!spec) throw new Error(`${command}: unknown option --${name} (known: ${specs.map((s) => '--' + s.name).join(', ')})`);
    if (name in opts) throw new Error(`${command}: option --${name} given more than once`);
    if (spec.kind === 'flag') {
      if (eq >= 0) throw new Error(`${command}: option --${name} takes no value, received ${JSON.stringify(a.slice(eq + 1))}`);
      opts[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new Error(`${command}: option --${name} needs a value (${spec.help})`);
      raw = argv[++i];
    }
    opts[name] = convert(raw, spec, command);
  }
  for (const s of specs) if (!(s.name in opts) && s.default !== undefined) opts[s.name] = s.default;
  return { opts, positional };
}

/** A decimal number as written on a command line (no hex, binary or octal literals, no "Infinity"). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `text` as a number: decimal, or with `fractions` also p/q of two decimals (`1/50`); NaN otherwise. */
function parseNumber(text: string, fractions: boolean): number {
  const t = text.trim();
  if (DECIMAL.test(t)) return Number(t);
  const pq = fractions ? /^([^/]+)\/([^/]+)$/.exec(t) : null;
  if (pq && DECIMAL.test(pq[1].trim()) && DECIMAL.test(pq[2].trim())) return Number(pq[1]) / Number(pq[2]);
  return NaN;
}

function convert(raw: string, spec: OptionSpec, command: string): string | number | number[] {
  // a number option also takes a fraction p/q (`--target-scale 1/50`, as `run --help` prints ρ); integers and lists do not
  const num = (r: string): number => {
    const v = parseNumber(r, spec.kind === 'number');
    const what = spec.kind === 'int' ? 'an integer' : spec.kind === 'number' ? 'a finite number (decimal, or a fraction p/q)' : 'a list of finite decimal numbers';
    if (!Number.isFinite(v) || (spec.kind === 'int' && !Number.isInteger(v))) throw new Error(`${command}: --${spec.name}: expected ${what}, received ${describe(r)}`);
    return v;
  };
  switch (spec.kind) {
    case 'number':
    case 'int':
      return num(raw);
    case 'list':
      return raw.split(',').map(num);
    default:
      return raw;
  }
}

/** Whether `--name` (or `--name=…`) appears in argv (as opposed to taking its default). */
export function optionGiven(argv: readonly string[], name: string): boolean {
  return argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
}

export function usage(command: string, summary: string, specs: readonly OptionSpec[]): string {
  const lines = [`Usage: ${command}`, '', summary, '', 'Options:'];
  for (const s of specs) {
    const arg = s.kind === 'flag' ? '' : s.value !== undefined ? ` <${s.value}>` : s.kind === 'list' ? ' <v1,v2,…>' : ` <${s.kind === 'string' ? 'value' : s.kind}>`;
    const def = s.default === undefined ? '' : ` (default: ${Array.isArray(s.default) ? s.default.join(',') : String(s.default)})`;
    lines.push(`  --${s.name}${arg}`.padEnd(30) + s.help + def);
  }
  return lines.join('\n');
}

/**
 * The arguments of a command that takes options only: parsed, with `required` options checked
 * present and no positional argument; `null` after writing the help text for --help.
 */
export function parseCommand(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  command: string,
  help: { synopsis: string; summary: string; required: readonly string[] },
  write: (text: string) => void,
): ParsedArgs | null {
  const { opts, positional } = parseArgs(argv, specs, command);
  if (opts.help) {
    write(usage(help.synopsis, help.summary, specs) + '\n');
    return null;
  }
  if (positional.length) throw new Error(`${command}: unexpected argument ${JSON.stringify(positional[0])}`);
  for (const req of help.required) if (opts[req] === undefined) throw new Error(`${command}: --${req} is required (see --help)`);
  return opts;
}
