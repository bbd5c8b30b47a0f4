import { createMemoryRateLimiter } from '../../src/ratelimit/memory.ts';
import { runRateLimiterContract } from './contract.ts';

runRateLimiterContract('memory', async () => {
  const limiter = createMemoryRateLimiter();
  return { limiter, cleanup: () => limiter.close() };
});
