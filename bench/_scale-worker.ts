// One shard of bench/scale.ts: runs an ecgx command in this process and prints
// its wall time and this process's peak RSS as one JSON line.
import { COMMANDS } from '../src/cli/commands.js';

const [name, ...argv] = process.argv.slice(2);
const t0 = performance.now();
const command = (await COMMANDS[name!]!()).default;
const code = await command.run(argv);
process.stdout.write(JSON.stringify({ code, ms: performance.now() - t0, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
