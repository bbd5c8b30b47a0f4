import { runStoreContract } from './contract.ts';
import { openStore } from '../../src/store/index.ts';

runStoreContract('sqlite', async () => {
  const store = await openStore(':memory:');
  return { store, cleanup: () => store.close() };
});
