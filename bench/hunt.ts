/**
 * Hunting benchmark: all five platforms' queries for one indicator, cycling through every
 * indicator type and a few awkward values, in µs per indicator (goal: under 20 µs).
 * Baseline, measured in the same run: the seed's two one-line queries built by plain template
 * strings with JSON.stringify as the only escaping — the least any generator could cost.
 *
 *   npm run bench:hunt
 *   npm run bench:hunt -- --ms 500      # time per measurement (default 1000)
 */
import { createHuntingQueryBuilder } from '../src/hunting/index.ts';
import type { HuntingInput } from '../src/model.ts';

const msArg = process.argv.indexOf('--ms');
const MS = msArg >= 0 ? Number(process.argv[msArg + 1]) : 1000;
const GOAL_US = 20;

const INPUTS: HuntingInput[] = (
  [
    ['ipv4', '198.51.100.23'],
    ['ipv6', '2001:db8::23'],
    ['domain', 'login-microsoft.example'],
    ['url', 'https://evil.example/gate.php?id=1&x="q"'],
    ['md5', '44d88612fea8a8f36de82e1278abb02f'],
    ['sha1', '3395856ce81f2b7382dee72602f798b642f14140'],
    ['sha256', '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f'],
    ['sha512', 'cc805d5fab1fd71a4ab352a9c533e65fb2d5b885518f4e565e68847223b8e6b85cb48f3afad842726d99239c9e36505c64b0dc9a061d9e507d833277ada336ab'],
    ['email', 'billing@evil.example'],
    ['cve', 'CVE-2021-44228'],
    ['mitre-attack', 'T1059.001'],
  ] as const
).map(([type, value]) => ({ type, value, level: 'high', techniques: ['T1071', 'T1041'], context: { threatTypes: ['botnet_cc'] } }));

function baseline(input: HuntingInput): Record<string, string> {
  const v = JSON.stringify(input.value);
  return {
    splunk: `index=* dest_ip=${v} | stats count by src_ip, dest_ip, dest_port | sort -count`,
    kql: `DeviceNetworkEvents | where RemoteIP == ${v} | summarize count() by LocalIP, RemoteIP, RemotePort`,
  };
}

/** Runs `fn` over the inputs for about MS milliseconds; returns µs per call. */
function measure(fn: (input: HuntingInput) => unknown): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += Object.keys(fn(INPUTS[i % INPUTS.length]!) as object).length; // warm-up
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(MS) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 1000; i++) sink += Object.keys(fn(INPUTS[(calls + i) % INPUTS.length]!) as object).length;
    calls += 1000;
    now = process.hrtime.bigint();
  }
  if (sink === 0) throw new Error('nothing was built');
  return Number(now - start) / 1000 / calls;
}

const startup = process.hrtime.bigint();
const builder = createHuntingQueryBuilder();
const startupMs = Number(process.hrtime.bigint() - startup) / 1e6;

const base = measure(baseline);
const all = measure((input) => builder.build(input));
const seedPair = measure((input) => builder.build(input, ['splunk', 'kql']));

console.log(`builder start-up (templates prepared): ${startupMs.toFixed(1)} ms`);
console.log(`baseline (seed's 2 one-liners, template strings):  ${base.toFixed(2)} µs/indicator`);
console.log(`verdict splunk + kql:                               ${seedPair.toFixed(2)} µs/indicator  (${(seedPair / base).toFixed(1)}× baseline)`);
console.log(`verdict all 5 platforms:                            ${all.toFixed(2)} µs/indicator  (${(all / base).toFixed(1)}× baseline)`);
console.log(`goal < ${GOAL_US} µs per indicator for all platforms: ${all < GOAL_US ? 'met' : 'NOT met'}`);
