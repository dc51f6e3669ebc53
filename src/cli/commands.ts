import type { Command } from './command.js';

/**
 * The CLI's registry: command name -> lazy loader. Commands load on demand so
 * that `ecgx record` does not pay for onnxruntime's start-up.
 * Each module default-exports a Command. One line per command, appended below.
 */
export const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {};
COMMANDS['record'] = () => import('./record.js');
COMMANDS['model'] = () => import('./model.js');
COMMANDS['synth'] = () => import('./synth.js');
COMMANDS['dataset'] = () => import('./dataset.js');
COMMANDS['delineate'] = () => import('./delineate.js');
COMMANDS['train'] = () => import('./train.js');
COMMANDS['evaluate'] = () => import('./evaluate.js');
COMMANDS['predict'] = () => import('./predict.js');
COMMANDS['explain'] = () => import('./explain.js');
COMMANDS['tlc'] = () => import('./tlc.js');
COMMANDS['report'] = () => import('./report.js');
COMMANDS['pretrain'] = () => import('./pretrain.js');
COMMANDS['embed'] = () => import('./embed.js');
COMMANDS['probe'] = () => import('./probe.js');
COMMANDS['serve'] = () => import('./serve.js');
COMMANDS['plot'] = () => import('./plot.js');
COMMANDS['merge'] = () => import('./merge.js');
COMMANDS['query'] = () => import('./query.js');
COMMANDS['benchmark'] = () => import('./benchmark.js');
