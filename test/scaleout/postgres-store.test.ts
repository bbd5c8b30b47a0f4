/** The shared store contract, run against PostgreSQL in a fresh schema per test. */
import { it } from 'node:test';
import { runStoreContract } from '../store/contract.ts';
import { postgresForTests } from './services.ts';
import { freshPostgresStore } from './postgres.ts';

const url = await postgresForTests();

if (url === null) {
  it('PostgreSQL store contract', { skip: 'no PostgreSQL reachable' }, () => {});
} else {
  runStoreContract('postgres', () => freshPostgresStore(url));
}
