import type { HuntingInput, HuntingPlatform } from '../model.ts';

/** One platform's generator. `input` has been checked by the builder (known type, string value). */
export interface QueryGenerator {
  readonly platform: HuntingPlatform;
  generate(input: HuntingInput): string;
}
