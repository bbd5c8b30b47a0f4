import type { HuntingInput, HuntingPlatform } from '../model.ts';

/** One platform's generator. `input` has been checked by the builder (known type, string value). */
export interface QueryGenerator {
  readonly platform: HuntingPlatform;
  generate(input: HuntingInput): string;
  /**
   * `JSON.stringify(generate(input))`, built from pre-escaped templates; generators without
   * templates leave it out and the builder encodes their text.
   */
  generateJson?(input: HuntingInput): string;
}
