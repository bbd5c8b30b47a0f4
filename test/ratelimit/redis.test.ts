import { it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createRedisRateLimiter } from '../../src/ratelimit/redis.ts';
import { redisForTests, uniqueSuffix } from '../scaleout/services.ts';
import { runRateLimiterContract } from './contract.ts';

const url = await redisForTests();

if (url === null) {
  it('Redis rate limiter contract', { skip: 'no Redis reachable' }, () => {});
} else {
  runRateLimiterContract('redis', async () => {
    const keyPrefix = `verdict:test:${uniqueSuffix()}:rl:`;
    const limiter = createRedisRateLimiter({ url, failurePolicy: 'closed', logger: pino({ level: 'silent' }), keyPrefix });
    return {
      limiter,
      async cleanup() {
        await limiter.close();
        const redis = new Redis(url);
        const keys = await redis.keys(`${keyPrefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      },
    };
  });
}
