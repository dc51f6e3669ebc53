import type { Command } from './command.js';
import { batchSizeOption, parseCommandArgs, required, threadsOption } from './command.js';
import { OptionError, EcgxError } from '../util/errors.js';
import { readNpy, writeNpy, type NdArray } from '../util/npy.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { Progress } from '../util/progress.js';
import { loadModel } from '../engine/onnx/proto.js';
import { inspectModel, type ModelInfo } from '../engine/onnx/inspect.js';
import { OnnxSession, ortVersion } from '../engine/runtime.js';
import { inferShapes } from '../engine/onnx/shapes.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

/**
 * `ecgx model <subcommand>`. Subcommands load lazily, like top-level commands;
 * one line per subcommand in this table.
 */
const SUBCOMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  info: async () => ({ default: info }),
  run: async () => ({ default: run }),
  grad: () => import('./model-grad.js'),
  card: async () => ({ default: (await import('./model-card.js')).card }),
};

const usage = `Usage: ecgx model <subcommand> ...

Subcommands:
  info MODEL.onnx [--json]     inputs, outputs, layers, parameters, explainable tensors
  run MODEL.onnx --input X.npy --out DIR [--outputs A,B] [--batch-size N] [--threads N] [--force]
                               run the model, one .npy per requested tensor
  grad MODEL.onnx --input X.npy --of OUTPUT[:INDEX] --wrt input|TENSOR[,TENSOR] --out DIR [--force]
                               gradients (input, activations, parameters), one .npy per tensor
  card MODEL.onnx [flags] [--out CARDED.onnx]
                               the model card: what the model expects and produces (infer, show, write)

'ecgx model <subcommand> --help' for details.
`;

const command: Command = {
  summary: 'inspect, run and card ONNX models, and take their gradients (info, run, grad, card)',
  handlesHelp: true,
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h') {
      process.stdout.write(usage.trimEnd() + '\n');
      return 0;
    }
    const load = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!load) throw new OptionError('model', `${sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`} (expected one of ${Object.keys(SUBCOMMANDS).join(', ')})`);
    const cmd = (await load()).default;
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(cmd.usage.trimEnd() + '\n');
      return 0;
    }
    return cmd.run(rest);
  },
};
export default command;

// ---------------------------------------------------------------- info

const infoUsage = `Usage: ecgx model info MODEL.onnx [--json]

Describes an ONNX model: inputs and outputs with shapes, every layer (node)
with its output shape, the parameter count (all float initializers, batch-norm
statistics included), and the tensors explainers can address: residual block
outputs ('block'; ecgx models name them block1..blockN, for exported models
they are found from the graph's structure), convolution outputs ('conv') and
activations ('activation'), all [batch, channels, time].

Options:
  --json   print the ModelInfo object as JSON (inputs, outputs, nodes,
           initializers, parameters, opset, explainable, blocks, metadata)
`;

const info: Command = {
  summary: 'describe an ONNX model',
  usage: infoUsage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('model info', argv, { json: { type: 'boolean' } });
    const path = onePath('model info', positionals);
    const model = loadModel(path);
    const mi = inspectModel(model);
    process.stdout.write(values.json ? JSON.stringify(mi, null, 2) + '\n' : formatInfo(path, mi, model));
    return 0;
  },
};

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

function formatInfo(path: string, mi: ModelInfo, model: ReturnType<typeof loadModel>): string {
  const lines: string[] = [];
  lines.push(`model       ${path}`);
  lines.push(`opset       ${mi.opset}   producer ${model.producerName || '?'}${model.producerVersion ? ' ' + model.producerVersion : ''}`);
  lines.push(`parameters  ${mi.parameters.toLocaleString('en-US')} in ${mi.initializers.length} initializers`);
  for (const [k, v] of Object.entries(mi.metadata)) lines.push(`meta        ${k} = ${v.length > 100 ? v.slice(0, 97) + '...' : v}`);
  lines.push('', 'inputs');
  for (const t of mi.inputs) lines.push(`  ${t.name}  ${shapeText(t.shape)}  ${t.dtype}`);
  lines.push('outputs');
  for (const t of mi.outputs) lines.push(`  ${t.name}  ${shapeText(t.shape)}  ${t.dtype}`);
  lines.push('', `layers (${mi.nodes.length})`);
  const opW = Math.max(...mi.nodes.map((n) => n.opType.length), 2);
  const nameW = Math.min(Math.max(...mi.nodes.map((n) => n.name.length), 4), 40);
  const types = inferShapes(model);
  for (const n of mi.nodes) {
    const out = n.outputs[0] ?? '';
    const shape = types.get(out)?.shape;
    lines.push(`  ${n.opType.padEnd(opW)}  ${n.name.padEnd(nameW)}  -> ${out}${shape ? '  ' + shapeText(shape) : ''}`);
  }
  lines.push('', `explainable tensors (${mi.explainable.length}; residual blocks: ${mi.blocks.length ? mi.blocks.join(', ') : 'none found'})`);
  const w = Math.max(...mi.explainable.map((e) => e.name.length), 4);
  for (const e of mi.explainable) lines.push(`  ${e.name.padEnd(w)}  ${e.kind.padEnd(10)}  ${shapeText(e.shape)}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- run

const runUsage = `Usage: ecgx model run MODEL.onnx --input X.npy --out DIR [--outputs A,B] [--batch-size N] [--threads N] [--force]

Runs the model on X.npy (float array shaped like the model's single input,
e.g. [batch, leads, samples]; fed as is, no preprocessing) and writes each
requested tensor to DIR/<name>.npy, plus DIR/run.json (model, input, outputs
with shapes, versions).

Tensor names become file names with every character outside [A-Za-z0-9._-]
replaced by '_' and leading '.'/'_' removed: '/layer4/relu_1/Relu_output_0'
is written to 'layer4_relu_1_Relu_output_0.npy'. run.json maps names to files.

Options:
  --input X.npy     the input array (float32/float64/int .npy, C order)
  --out DIR         output folder (appears when complete)
  --force           replace an existing DIR that ecgx wrote (it holds a .ecgx marker file)
  --outputs A,B     graph outputs or intermediate tensors to write (default: the
                    graph outputs); see 'ecgx model info' for the names
  --batch-size N    ECGs per internal run (bounds memory; default 64; 1-4096)
  --threads N       onnxruntime intra-op threads (default: all cores; 1-256)
`;

const run: Command = {
  summary: 'run an ONNX model on a .npy array',
  usage: runUsage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('model run', argv, {
      input: { type: 'string' },
      out: { type: 'string' },
      outputs: { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      force: { type: 'boolean' },
    });
    const path = onePath('model run', positionals);
    const inputPath = required('--input', values.input);
    const outDir = required('--out', values.out);
    const policy = { force: values.force === true };
    const batchSize = batchSizeOption(values['batch-size']) ?? 64;
    const threads = threadsOption(values.threads);
    checkOutput(outDir, 'folder', policy);
    const model = loadModel(path);
    const mi = inspectModel(model);
    const graphOutputs = mi.outputs.map((o) => o.name);
    const requested = values.outputs === undefined ? graphOutputs : values.outputs.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (requested.length === 0) throw new OptionError('--outputs', 'expected at least one tensor name');
    const known = new Set(mi.nodes.flatMap((n) => n.outputs));
    for (const r of requested) {
      if (!known.has(r) && !graphOutputs.includes(r)) throw new OptionError('--outputs', `${path} has no tensor '${r}' (see 'ecgx model info ${path}')`);
    }
    const files = fileNames(requested);
    if (mi.inputs.length !== 1) throw new OptionError('--input', `${path} has ${mi.inputs.length} inputs (${mi.inputs.map((i) => i.name).join(', ')}); 'model run' feeds exactly one`);
    const input = mi.inputs[0]!;
    const x = readNpy(inputPath);
    checkInput(inputPath, x, input.name, input.shape, input.dtype);
    const session = await OnnxSession.create(model, { threads, extraOutputs: requested.filter((r) => !graphOutputs.includes(r)) });
    const result = await runSessionOnce(session, 'model run', { name: input.name, path: inputPath, x }, requested, batchSize);
    // Everything is computed before the folder is written, atomically.
    const config = {
      command: 'ecgx model run',
      model: path,
      input: { path: inputPath, shape: x.shape },
      batchSize,
      threads: threads ?? null,
      outputs: requested.map((r) => ({ name: r, file: files.get(r), shape: result[r]!.shape })),
      versions: versions(),
    };
    await writeDirAtomic(outDir, (dir) => {
      for (const r of requested) writeNpy(join(dir, files.get(r)!), result[r]!);
      writeFileAtomic(join(dir, 'run.json'), JSON.stringify(config, null, 2) + '\n');
    }, policy);
    process.stdout.write(requested.map((r) => `${join(outDir, files.get(r)!)}  ${shapeText(result[r]!.shape)}`).join('\n') + '\n');
    return 0;
  },
};

/** Tensor name -> file name: see the usage text; collisions are an error. */
export function sanitizeTensorName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._]+/, '');
  return s.length > 0 ? s : 'tensor';
}

function fileNames(names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const byFile = new Map<string, string>();
  for (const n of names) {
    const f = `${sanitizeTensorName(n)}.npy`;
    const other = byFile.get(f);
    if (other !== undefined && other !== n) throw new OptionError('--outputs', `tensors '${other}' and '${n}' would both be written to ${f}`);
    byFile.set(f, n);
    out.set(n, f);
  }
  return out;
}

function checkInput(file: string, x: NdArray, name: string, want: (number | string)[], dtype: string): void {
  if (dtype !== 'float32') throw new OptionError('--input', `model input '${name}' is ${dtype}; 'model run' feeds float32 only`);
  const expected = shapeText(want);
  if (x.shape.length !== want.length) throw new OptionError('--input', `${file} has shape ${shapeText(x.shape)}, expected ${expected} for input '${name}'`);
  want.forEach((d, i) => {
    if (typeof d === 'number' && x.shape[i] !== d) throw new OptionError('--input', `${file} has shape ${shapeText(x.shape)}, expected ${expected} for input '${name}' (dimension ${i} must be ${d})`);
  });
  if (x.shape[0] === 0) throw new OptionError('--input', `${file} has an empty batch`);
}

function onePath(cmd: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new OptionError(cmd, `expected one MODEL.onnx path, got ${positionals.length ? positionals.join(' ') : 'none'}`);
  return positionals[0]!;
}

/**
 * Runs a session over one .npy input with a progress bar, then releases it.
 * A run error caused by the input (shape, dtype) is reported under --input,
 * naming the file.
 */
export async function runSessionOnce(
  session: OnnxSession,
  label: string,
  input: { name: string; path: string; x: NdArray },
  outputs: string[],
  batchSize: number,
): Promise<Record<string, NdArray>> {
  try {
    const progress = new Progress({ label, total: input.x.shape[0]!, unit: 'ECG' });
    let shown = 0;
    const onBatch = (done: number): void => {
      progress.tick(done - shown);
      shown = done;
    };
    const result = await session.run({ [input.name]: input.x }, { outputs, batchSize, onBatch });
    progress.finish();
    return result;
  } catch (e) {
    if (e instanceof EcgxError) throw new OptionError('--input', `${input.path}: ${e.message}`);
    throw e;
  } finally {
    await session.release();
  }
}

export function versions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { ecgx: pkg.version, node: process.versions.node, onnxruntime: ortVersion() };
}
