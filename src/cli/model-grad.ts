import { join } from 'node:path';
import type { Command } from './command.js';
import { batchSizeOption, parseCommandArgs, required, threadsOption } from './command.js';
import { EcgxError, OptionError } from '../util/errors.js';
import { readNpy, writeNpy } from '../util/npy.js';
import { checkOutput, writeDirAtomic, writeFileAtomic } from '../util/atomic-write.js';
import { loadModel, type ModelProto } from '../engine/onnx/proto.js';
import { OnnxSession } from '../engine/runtime.js';
import { gradientGraph, gradientGraphInfo } from '../engine/autodiff/index.js';
import { runSessionOnce, sanitizeTensorName, versions } from './model.js';

const usage = `Usage: ecgx model grad MODEL.onnx --input X.npy --of OUTPUT[:INDEX] --wrt input|TENSOR[,TENSOR] --out DIR [--threads N] [--batch-size N] [--force]

Writes the gradient of the sum over the batch of OUTPUT (of its column INDEX
along axis 1, e.g. one class's logit, when given) with respect to each named
tensor to DIR/grad_<name>.npy, shaped like that tensor, plus DIR/grad.json
(model, input, of, index, wrt -> file, versions). The gradient graph is built
by ecgx's autodiff and runs on onnxruntime. Model parameters are held fixed,
BatchNormalization and Dropout are in inference mode.

Tensor names become file names as in 'ecgx model run' (characters outside
[A-Za-z0-9._-] replaced by '_'): --wrt /layer4/Relu_output_0 is written to
grad_layer4_Relu_output_0.npy.

Options:
  --input X.npy        the input array, shaped like the model's input (e.g. [batch, leads, samples])
  --of OUTPUT[:INDEX]  the tensor to differentiate (a graph output or any intermediate tensor)
  --wrt A,B            tensors to differentiate with respect to: 'input' (the model's
                       first input), intermediate tensors (e.g. block3 for Grad-CAM) or
                       parameters (initializers); see 'ecgx model info' for names
  --out DIR            output folder (appears when complete)
  --force              replace an existing DIR that ecgx wrote (it holds a .ecgx marker file)
  --threads N          onnxruntime intra-op threads (default: all cores; 1-256)
  --batch-size N       ECGs per internal run when only per-ECG tensors are asked (default 64; 1-4096)
`;

/** Splits OUTPUT[:INDEX]; a name that is itself a tensor (e.g. 'onnx::Gemm_12') is taken whole. */
export function parseOf(spec: string, tensors: Set<string>): { of: string; index: number | undefined } {
  if (tensors.has(spec)) return { of: spec, index: undefined };
  const m = /^(.*):(\d+)$/.exec(spec);
  if (m && tensors.has(m[1]!)) return { of: m[1]!, index: Number(m[2]) };
  throw new OptionError('--of', `the model has no tensor '${m ? m[1] : spec}' (expected OUTPUT or OUTPUT:INDEX; see 'ecgx model info')`);
}

function tensorNames(model: ModelProto): Set<string> {
  const g = model.graph!;
  return new Set([...(g.input ?? []).map((i) => i.name ?? ''), ...(g.initializer ?? []).map((t) => t.name ?? ''), ...(g.node ?? []).flatMap((n) => n.output ?? [])]);
}

const command: Command = {
  summary: 'gradients of a model output with respect to its input, activations or parameters',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('model grad', argv, {
      input: { type: 'string' },
      of: { type: 'string' },
      wrt: { type: 'string' },
      out: { type: 'string' },
      threads: { type: 'string' },
      'batch-size': { type: 'string' },
      force: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new OptionError('model grad', `expected one MODEL.onnx path, got ${positionals.length ? positionals.join(' ') : 'none'}`);
    const path = positionals[0]!;
    const inputPath = required('--input', values.input);
    const outDir = required('--out', values.out);
    const policy = { force: values.force === true };
    const threads = threadsOption(values.threads);
    const batchSize = batchSizeOption(values['batch-size']) ?? 64;
    checkOutput(outDir, 'folder', policy);
    const model = loadModel(path);
    const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name ?? ''));
    const inputs = (model.graph!.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n));
    if (inputs.length !== 1) throw new OptionError('--input', `${path} has ${inputs.length} inputs (${inputs.join(', ')}); 'model grad' feeds exactly one`);
    const inputName = inputs[0]!;
    const tensors = tensorNames(model);
    const { of, index } = parseOf(required('--of', values.of), tensors);
    const wrt = [...new Set(required('--wrt', values.wrt).split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => (s === 'input' ? inputName : s)))];
    if (wrt.length === 0) throw new OptionError('--wrt', "expected 'input' or tensor names");
    for (const w of wrt) if (!tensors.has(w)) throw new OptionError('--wrt', `${path} has no tensor '${w}' (see 'ecgx model info ${path}')`);
    const files = new Map<string, string>();
    const byFile = new Map<string, string>();
    for (const w of wrt) {
      const f = `grad_${sanitizeTensorName(w)}.npy`;
      if (byFile.has(f)) throw new OptionError('--wrt', `tensors '${byFile.get(f)}' and '${w}' would both be written to ${f}`);
      byFile.set(f, w);
      files.set(w, f);
    }

    let graph: ModelProto;
    try {
      graph = gradientGraph(model, { of, ...(index !== undefined ? { index } : {}), wrt });
    } catch (e) {
      if (e instanceof EcgxError) throw new OptionError('--of', `${path}: ${e.message}`);
      throw e;
    }
    const info = gradientGraphInfo(graph)!;
    const x = readNpy(inputPath);
    if (x.shape[0] === 0) throw new OptionError('--input', `${inputPath} has an empty batch`);
    const session = await OnnxSession.create(graph, threads !== undefined ? { threads } : {});
    const outputs = wrt.map((w) => info.gradients[w]!);
    const result = await runSessionOnce(session, 'model grad', { name: inputName, path: inputPath, x }, outputs, batchSize);
    const config = {
      command: 'ecgx model grad',
      model: path,
      input: { path: inputPath, name: inputName, shape: x.shape },
      of,
      index: index ?? null,
      wrt: wrt.map((w) => ({ tensor: w, file: files.get(w), shape: result[info.gradients[w]!]!.shape })),
      threads: threads ?? null,
      versions: versions(),
    };
    await writeDirAtomic(outDir, (dir) => {
      for (const w of wrt) writeNpy(join(dir, files.get(w)!), result[info.gradients[w]!]!);
      writeFileAtomic(join(dir, 'grad.json'), JSON.stringify(config, null, 2) + '\n');
    }, policy);
    process.stdout.write(wrt.map((w) => `${join(outDir, files.get(w)!)}  [${result[info.gradients[w]!]!.shape.join(', ')}]`).join('\n') + '\n');
    return 0;
  },
};
export default command;
