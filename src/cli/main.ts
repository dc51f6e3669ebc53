#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { EcgxError, OptionError, asIoError, fsErrorCode } from '../util/errors.js';
import { COMMANDS } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function help(): Promise<string> {
  const lines = ['ecgx: explainable deep learning for the ECG', '', 'Usage: ecgx <command> [options]   (ecgx <command> --help for details)', '', 'Commands:'];
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length), 8);
  for (const name of names) {
    const cmd = (await COMMANDS[name]!()).default;
    lines.push(`  ${name.padEnd(width)}  ${cmd.summary}`);
  }
  lines.push('', 'Options:', '  --help     this text', '  --version  print the version');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await help()) + '\n');
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`ecgx: unknown command '${name}' (expected one of ${Object.keys(COMMANDS).sort().join(', ')})\n`);
    return 2;
  }
  const cmd = (await load()).default;
  if (!cmd.handlesHelp && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  return cmd.run(rest);
}

/**
 * The library names fields (`batchSize`, `maskFraction`); a user who gave the
 * field's flag (`--batch-size`) reads the flag in the message instead.
 */
function cliMessage(e: EcgxError, argv: readonly string[]): string {
  if (!(e instanceof OptionError) || !/^[a-z][A-Za-z0-9]*$/.test(e.option)) return e.message;
  const flag = `--${e.option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return argv.some((a) => a === flag || a.startsWith(`${flag}=`)) ? `${flag}: ${e.message.slice(e.option.length + 2)}` : e.message;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A file-system failure (unreadable input, read-only folder, name too long, ...) is the user's to fix.
    const e = asIoError(err);
    if (!(e instanceof EcgxError) && fsErrorCode(e) !== undefined) {
      process.stderr.write(`ecgx: ${String((e as Error).message).split('\n')[0]}\n`);
      process.exitCode = 2;
    } else if (e instanceof EcgxError) {
      process.stderr.write(`ecgx: ${cliMessage(e, process.argv.slice(2)).replace(/\s*\n\s*/g, ' ')}\n`);
      process.exitCode = 2;
    } else {
      // A bug in ecgx, not a user mistake: keep the stack for the report.
      process.stderr.write(`ecgx: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    }
  },
);
