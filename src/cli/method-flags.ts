/**
 * The method flags of `ecgx explain` and `explain evaluate`, generated from
 * the explainers' option declarations (explain/options.ts): every declared
 * option becomes `--<name>`, filling that option of each chosen method that
 * declares it; its help line comes from the declaration. `--set M.K=V` reaches
 * any option by its full name.
 */
import { EXPLAINERS, METHOD_ALIASES, explainerFactory } from '../explain/registry.js';
import { defaultText, optionFromText, type OptionDecl } from '../explain/options.js';
import { OptionError } from '../util/errors.js';
import { batchSizeOption, numberOption, required, threadsOption } from './command.js';

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Flag -> the methods that declare it, with the declaration. */
function declaredFlags(): Map<string, { method: string; decl: OptionDecl }[]> {
  const flags = new Map<string, { method: string; decl: OptionDecl }[]>();
  for (const f of EXPLAINERS.values()) {
    for (const d of f.options) {
      if (d.cli === false) continue;
      const flag = kebab(d.name);
      flags.set(flag, [...(flags.get(flag) ?? []), { method: f.name, decl: d }]);
    }
  }
  return flags;
}

const DECLARED = declaredFlags();

/** parseArgs table: the method list, target and common run flags, then every declared option. */
export const METHOD_FLAGS: Record<string, { type: 'string'; multiple?: true }> = {
  method: { type: 'string' }, target: { type: 'string' }, set: { type: 'string', multiple: true }, seed: { type: 'string' },
  'batch-size': { type: 'string' }, threads: { type: 'string' },
  ...Object.fromEntries([...DECLARED.keys()].map((f) => [f, { type: 'string' as const }])),
};

/** Help lines of the method flags, one per declared option (with the methods it applies to and its default). */
export function methodFlagsHelp(): string {
  const lines = [
    '  --target T          predicted (default; regression models: regression), a class name or index',
  ];
  for (const [flag, users] of DECLARED) {
    const d = users[0]!.decl;
    const choices = d.choices ? ` (${d.choices.join('|')})` : '';
    const head = `  --${flag} ${d.kind === 'boolean' ? '[true|false]' : d.kind === 'int' ? 'N' : d.kind === 'number' ? 'X' : 'V'}`;
    lines.push(`${head.padEnd(22)}${users.map((u) => u.method).join(', ')}: ${d.help}${choices}; default ${defaultText(d)}`);
  }
  lines.push(
    '  --set M.K=V         any method option by its full name, e.g. gradcam.variant=gradcam++ (repeatable)',
    '  --seed N            seed of random methods (default 0)',
    '  --batch-size N      records per explain call (default 32; 1-4096)',
    '  --threads N         onnxruntime threads (1-256)',
  );
  return lines.join('\n') + '\n';
}

export interface MethodPlan {
  /** Registered method names, aliases resolved, in the order given. */
  methods: string[];
  /** create() options per method. */
  options: Record<string, Record<string, unknown>>;
  seed: number;
  batchSize: number;
  threads: number | undefined;
  /** Library option name (`gradcam.layer`) -> the flag that gave it, so errors name the flag. */
  flagOf: Record<string, string>;
}

/** Checks the method flags and maps each onto the options of the chosen methods that declare it. */
export function methodPlan(values: Record<string, string | string[] | boolean | undefined>): MethodPlan {
  const list = String(required('--method', values['method'])).split(',').map((m) => m.trim()).filter((m) => m !== '');
  const methods = [...new Set(list.map((m) => explainerFactory(m, '--method').name))];
  if (methods.length === 0) throw new OptionError('--method', 'expected at least one method');
  const options: Record<string, Record<string, unknown>> = Object.fromEntries(methods.map((m) => [m, {}]));
  const flagOf: Record<string, string> = {};
  for (const [flag, users] of DECLARED) {
    const text = values[flag];
    if (text === undefined) continue;
    const chosen = users.filter((u) => options[u.method]);
    // The value is checked first: a bad value is the more useful message.
    const parse = (u: (typeof users)[number]): unknown => {
      try {
        return optionFromText(u.method, u.decl, String(text));
      } catch (e) {
        throw e instanceof OptionError ? new OptionError(`--${flag}`, e.message.slice(e.option.length + 2)) : e;
      }
    };
    if (chosen.length === 0) {
      parse(users[0]!);
      throw new OptionError(`--${flag}`, `${users.map((u) => u.method).join(' or ')} is not among --method ${methods.join(',')}`);
    }
    for (const u of chosen) {
      flagOf[`${u.method}.${u.decl.name}`] = `--${flag}`;
      options[u.method]![u.decl.name] = parse(u);
    }
  }
  for (const s of (values['set'] as string[] | undefined) ?? []) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/.exec(s);
    if (!m) throw new OptionError('--set', `'${s}' is not METHOD.KEY=VALUE`);
    const method = METHOD_ALIASES[m[1]!] ?? m[1]!;
    if (!options[method]) throw new OptionError('--set', `${method} is not among --method ${methods.join(',')}`);
    const decl = explainerFactory(method, '--set').options.find((d) => d.name === m[2]);
    // Unknown names pass through: the method's own check names them.
    options[method]![m[2]!] = decl ? optionFromText(method, decl, m[3]!) : m[3]!;
  }
  // Options a method cannot run without, whichever way they were given.
  for (const m of methods) {
    for (const d of explainerFactory(m).options) {
      if (d.required && d.cli !== false && options[m]![d.name] === undefined) throw new OptionError(`--${kebab(d.name)}`, `required with --method ${m} (${d.help})`);
    }
  }
  return {
    methods, options, flagOf,
    seed: numberOption('--seed', values['seed'] as string | undefined, { integer: true }) ?? 0,
    batchSize: batchSizeOption(values['batch-size'] as string | undefined) ?? 32,
    threads: threadsOption(values['threads'] as string | undefined),
  };
}

/** Runs `f`, renaming an OptionError about a flag-given option to the flag. */
export async function flagged<T>(plan: MethodPlan, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof OptionError && plan.flagOf[e.option]) throw new OptionError(plan.flagOf[e.option]!, e.message.slice(e.option.length + 2));
    throw e;
  }
}
