import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openConfiguredStore, randomIds } from '../deps.ts';
import { checkKeyInput, createKeyService, keyView, type KeyService, type KeyView } from '../keys/service.ts';
import { SCOPES, TIERS, type Scope, type Tier } from '../store/types.ts';

async function withKeys<T>(fn: (keys: KeyService) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(loadConfig());
  try {
    return await fn(createKeyService({ keys: store.keys, clock: () => new Date(), newId: randomIds.keyId }));
  } finally {
    await store.close();
  }
}

function describe(k: KeyView): string {
  const state = k.revoked_at ? `revoked ${k.revoked_at}` : k.expires_at ? `expires ${k.expires_at}` : 'active';
  return `${k.id}  ${k.key_prefix}…  ${k.name}  tier=${k.tier}  scopes=${k.scopes.join(',')}  ${state}  last used ${k.last_used_at ?? 'never'}`;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Manage API keys in the configured store');

  keys
    .command('create')
    .description('Create a key and print it once (only its hash is stored)')
    .requiredOption('--name <name>', 'who or what the key is for')
    .requiredOption('--tier <tier>', `rate-limit tier: ${TIERS.join(', ')}`)
    .option('--scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')} (default read:lookup)`)
    .option('--expires-in-days <days>', 'the key stops working after this many days')
    .option('--json', 'print the new key record, including `key`, as one JSON document')
    .action(async (opts: { name: string; tier: string; scopes?: string; expiresInDays?: string; json?: boolean }) => {
      const scopes = opts.scopes?.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const days = opts.expiresInDays === undefined ? undefined : /^\d+$/.test(opts.expiresInDays) ? Number(opts.expiresInDays) : NaN;
      const problem = checkKeyInput({ name: opts.name, tier: opts.tier, scopes, expiresInDays: days });
      if (problem) throw new Error(`--${problem.field.replace(/_/g, '-')} ${problem.reason}`);
      const { key, record } = await withKeys((k) =>
        k.create({ name: opts.name, tier: opts.tier as Tier, ...(scopes ? { scopes: scopes as Scope[] } : {}), expiresInDays: days ?? null }),
      );
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...keyView(record), key }, null, 2) + '\n');
        return;
      }
      process.stdout.write(`${describe(keyView(record))}\n\nThe key, shown only this once:\n\n    ${key}\n\n`);
    });

  keys
    .command('list')
    .description('List keys (prefixes only; keys themselves are never stored)')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const list = (await withKeys((k) => k.list())).map(keyView);
      if (opts.json) process.stdout.write(JSON.stringify({ keys: list }, null, 2) + '\n');
      else process.stdout.write(list.length === 0 ? 'no keys\n' : list.map(describe).join('\n') + '\n');
    });

  keys
    .command('revoke')
    .description('Revoke a key by id; it stops working at once')
    .argument('<id>', 'the key id (see `verdict keys list`)')
    .option('--json', 'print the revoked key record as one JSON document')
    .action(async (id: string, opts: { json?: boolean }) => {
      const record = await withKeys((k) => k.revoke(id));
      if (record === null) {
        process.stderr.write(`no active key with id "${id}"\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(opts.json ? JSON.stringify(keyView(record), null, 2) + '\n' : `revoked ${describe(keyView(record))}\n`);
    });
}
