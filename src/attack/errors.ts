/** The one error of the ATT&CK data: a shipped file that cannot be read or does not have the expected shape. */
export class AttackDataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AttackDataError';
  }
}
