/**
 * The `verdict` command: the command table. Every command's name, arguments, options and
 * description are declared here, and its code is loaded only when it runs, so `verdict --help`
 * (or `verdict extract`) loads neither the HTTP stack nor the store. Commands are thin: they parse
 * arguments and call the same use cases as the HTTP routes.
 */
import { Command, Option } from '../vendor/commander.ts';
import { DOCUMENT_FORMATS } from '../documents/types.ts';
import { STORED_TYPES } from '../indicators/types.ts';
import { TYPE_NAMES } from '../indicators/type-hint.ts';
import { HUNTING_PLATFORMS } from '../model.ts';
import { SCOPES, TIERS } from '../store/types.ts';
import { errorText } from '../file-errors.ts';
import { printable } from '../printable.ts';
import { EXTRACT_FORMATS, MIGRATE_TO_ENV, parseTypes } from './options.ts';
// types only: erased from the build, so the commands' modules still load when they run
import type { ExtractCommandOptions } from './extract.ts';
import type { ImportCommandOptions } from './feeds.ts';
import type { CreateKeyOptions } from './keys.ts';
import type { LookupCommandOptions } from './lookup.ts';
import type { MigrateStoreOptions } from './migrate-store.ts';
import type { ServeOptions } from './serve.ts';

interface JsonOption {
  json?: boolean;
}

export function buildProgram(): Command {
  const program = new Command('verdict')
    .description('Verdict: self-hosted threat-intelligence lookups')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('Start the HTTP API (and the feed scheduler unless VERDICT_SCHEDULER=off)')
    .option('--host <host>', 'address to listen on (overrides VERDICT_HOST)')
    .option('--port <port>', 'port to listen on (overrides VERDICT_PORT)')
    .action(async (opts: ServeOptions) => (await import('./serve.ts')).serve(opts));

  program
    .command('lookup')
    .description('Look up one indicator in the configured store (the same result as GET /api/v1/lookup), or many with --file (as POST /api/v1/lookup/bulk); reads only')
    .argument('[value]', 'the indicator: IP, domain, URL, hash, CVE, ATT&CK id or email (defanged forms accepted)')
    .option('--type <type>', `type hint: ${TYPE_NAMES.join(', ')}`)
    .option('--platforms <list>', `extra hunting platforms, comma-separated: ${HUNTING_PLATFORMS.join(', ')}`)
    .option('--file <file>', 'look up every value of FILE, one a line (- reads standard input); prints a table')
    .option('--json', 'print the API response as one JSON document')
    .option('--ndjson', 'with --file: one JSON line per result, then a summary line')
    .action(async (value: string | undefined, opts: LookupCommandOptions) => (await import('./lookup.ts')).lookupCommand(value, opts));

  const keys = program.command('keys').description('Manage API keys in the configured store');
  keys
    .command('create')
    .description('Create a key and print it once (only its hash is stored)')
    .requiredOption('--name <name>', 'who or what the key is for')
    .requiredOption('--tier <tier>', `rate-limit tier: ${TIERS.join(', ')}`)
    .option('--scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')} (default read:lookup)`)
    .option('--expires-in-days <days>', 'the key stops working after this many days')
    .option('--allowed-ips <list>', 'comma-separated addresses or CIDR ranges the key may be used from (default: any)')
    .option('--json', 'print the new key record, including `key`, as one JSON document')
    .action(async (opts: CreateKeyOptions) => (await import('./keys.ts')).createKey(opts));
  keys
    .command('list')
    .description('List keys (prefixes only; keys themselves are never stored)')
    .option('--json', 'print one JSON document')
    .action(async (opts: JsonOption) => (await import('./keys.ts')).listKeys(opts));
  keys
    .command('init')
    .description('Store VERDICT_ADMIN_KEY as the first admin key when the store holds no key (or mint one and print it once), then exit: the one-off step that lets the long-running instances start without the key in their environment')
    .option('--json', 'print the outcome as one JSON document')
    .action(async (opts: JsonOption) => (await import('./keys.ts')).initAdminKey(opts));
  keys
    .command('usage')
    .description("A key's requests per UTC day and per route, its last use and what is left of today's quota")
    .argument('<id>', 'the key id (see `verdict keys list`)')
    .option('--days <n>', 'how many days back, 1 to 90 (default 30)')
    .option('--json', 'print the usage as one JSON document (as GET /api/v1/keys/{id}/usage)')
    .action(async (id: string, opts: { days?: string; json?: boolean }) => (await import('./keys.ts')).keyUsage(id, opts));
  keys
    .command('update')
    .description("Change a key's name, tier, scopes, allowed addresses or expiry (its secret stays); a running server applies it within a second")
    .argument('<id>', 'the key id (see `verdict keys list`)')
    .option('--name <name>', 'a new name')
    .option('--tier <tier>', 'free, pro or enterprise')
    .option('--scopes <list>', 'comma-separated scopes, replacing the current ones')
    .option('--allowed-ips <list>', "comma-separated addresses or CIDR ranges, replacing the current ones ('' for any address)")
    .option('--expires-at <time>', 'an RFC 3339 time in the future, or never')
    .option('--json', 'print the changed key record as one JSON document')
    .action(async (id: string, opts: import('./keys.ts').UpdateKeyOptions) => (await import('./keys.ts')).updateKey(id, opts));
  keys
    .command('revoke')
    .description('Revoke a key by id; it stops working at once')
    .argument('<id>', 'the key id (see `verdict keys list`)')
    .option('--json', 'print the revoked key record as one JSON document')
    .action(async (id: string, opts: JsonOption) => (await import('./keys.ts')).revokeKey(id, opts));

  program
    .command('extract')
    .description('find, refang and normalize every indicator in a document (PDF, HTML, .eml, text) or in text read from stdin')
    .argument('[file]', 'a PDF, HTML page, email message (.eml) or text file, its format read from its content; - for stdin')
    .addOption(new Option('--format <format>', 'json: stdin is one text; ndjson: lines of {"id","text"}').choices(EXTRACT_FORMATS).default('json'))
    .addOption(new Option('--as <format>', 'read the document as this format, whatever its content looks like').choices(DOCUMENT_FORMATS))
    .option('--text', "print each part's text in the document summary (the indicators' offsets refer to it)")
    .option('--unique', 'each indicator once (in order of first occurrence, with its count) instead of every occurrence with its offsets')
    .option('--no-refang', 'match the text as written, without undoing defanging')
    .option('--no-parts', 'do not report URL hosts and email domains on their own')
    .option('--types <types>', `comma-separated types to keep (${STORED_TYPES.join(', ')})`, parseTypes)
    .action(async (file: string | undefined, opts: ExtractCommandOptions) => (await import('./extract.ts')).extractCommand(file, opts));

  const feeds = program.command('feeds').description('Feed catalog, status, runs and offline imports');
  feeds
    .command('list')
    .description('Status of every feed: last success, last error, indicator counts, next run')
    .option('--json', 'print one JSON document')
    .action(async (opts: JsonOption) => (await import('./feeds.ts')).listFeeds(opts));
  feeds
    .command('sync')
    .description('Fetch and ingest one feed now')
    .argument('<id>', 'feed id (see `verdict feeds list`)')
    .option('--json', 'print the run record as JSON')
    .action(async (id: string, opts: JsonOption) => (await import('./feeds.ts')).syncFeed(id, opts));
  feeds
    .command('import')
    .description('Ingest a local file as one run of a feed (the offline path; how internal lists are loaded)')
    .argument('<id>', 'feed id')
    .argument('<file>', 'the feed file (gzip and zip are unpacked; a MISP feed may be its directory)')
    .option('--json', 'print the run record as JSON')
    .option('--allow-drop', 'accept a snapshot that delists more than the suspect-drop share')
    .option('--dry-run', 'read the file as the import would and print what it holds by type, and what would be refused; store nothing')
    .action(async (id: string, file: string, opts: ImportCommandOptions) => (await import('./feeds.ts')).importFeedFile(id, file, opts));
  feeds
    .command('purge')
    .description('Remove everything a feed reported, in one transaction; its next run reads the feed whole')
    .argument('<id>', 'feed id (a feed no longer in the catalog too: what it left behind)')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, opts: JsonOption) => (await import('./feeds.ts')).purgeFeed(id, opts));
  feeds
    .command('prune')
    .description('Remove the sightings their snapshot feed no longer lists, last seen more than N days ago (retention)')
    .option('--older-than <days>', 'days since last seen (default: VERDICT_DELISTED_RETENTION_DAYS)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { olderThan?: string } & JsonOption) => (await import('./feeds.ts')).pruneFeeds(opts));
  feeds
    .command('load-bundled')
    .description('Load the snapshots shipped with Verdict (the CISA KEV catalog) into a store that has never had their feeds (serve and worker do it at start)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: JsonOption) => (await import('./feeds.ts')).loadBundledFeeds(opts));

  program
    .command('worker')
    .description('Run the feed scheduler alone (no HTTP): one ingestion process beside several API processes')
    .action(async () => (await import('./feeds.ts')).runWorker());

  program
    .command('migrate-store')
    .description('Copy the embedded store into an empty PostgreSQL database (one transaction)')
    .option('--to <url>', `target database postgres://user:password@host:5432/db; "-" reads it from stdin; default: ${MIGRATE_TO_ENV}`)
    .option('--from <url>', 'source store (default: VERDICT_DATABASE_URL, the embedded SQLite file)')
    .option('--schema <name>', 'PostgreSQL schema to create and fill (default: the connection search_path)')
    .option('--json', 'print the summary as one JSON document')
    .addHelpText(
      'after',
      `\nA password in --to shows in the process list (ps) and in shell history: give the URL in ${MIGRATE_TO_ENV},\n` +
        `or on stdin with --to -:\n\n  ${MIGRATE_TO_ENV}=postgres://verdict:…@db:5432/verdict verdict migrate-store\n  verdict migrate-store --to - < target-url.txt\n`,
    )
    .action(async (opts: MigrateStoreOptions) => (await import('./migrate-store.ts')).migrateStore(opts, (line) => process.stdout.write(line + '\n')));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `verdict lookup --file ips.txt | head`: the reader has gone, which ends the command, not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander throws on --help/--version and usage errors after printing them
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') process.exit(code);
    // a file that cannot be read is said plainly (`no such file: PATH`), never as Node's ENOENT
    console.error(printable(errorText(err)));
    process.exit(1);
  }
}
